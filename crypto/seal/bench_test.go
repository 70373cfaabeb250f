package seal

import (
	"fmt"
	"testing"

	"github.com/casenode/casenode/protocol"
)

func BenchmarkSeal(b *testing.B) { benchSealOpen(b, false) }

// BenchmarkSealer is BenchmarkSeal with a long-lived Sealer, as the node
// uses: parsed recipients are reused. Compare with BenchmarkSeal.
func BenchmarkSealer(b *testing.B) {
	for _, kind := range kinds() {
		net := testNetwork(b, kind)
		body := protocol.SizedLead(1 << 10)
		for _, n := range []int{1, 3} {
			b.Run(fmt.Sprintf("%s/1KiB/%drcpt", kind, n), func(b *testing.B) {
				s := NewSealer(net.ids[0])
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Seal(net.cards[1:n+1], protocol.TypeLead, body, Options{Now: now}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
func BenchmarkOpen(b *testing.B) { benchSealOpen(b, true) }

func benchSealOpen(b *testing.B, open bool) {
	for _, kind := range kinds() {
		net := testNetwork(b, kind)
		for _, size := range []int{1 << 10, 1 << 20} {
			body := protocol.SizedLead(size)
			for _, n := range []int{1, 3, 10} {
				b.Run(fmt.Sprintf("%s/%dKiB/%drcpt", kind, size>>10, n), func(b *testing.B) {
					cards := net.cards[1 : n+1]
					s, err := Seal(net.ids[0], cards, protocol.TypeLead, body, Options{Now: now})
					if err != nil {
						b.Fatal(err)
					}
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						if open {
							if _, err := Open(s.Raw, net.ids[n], net.keys(), VerifyOptions{Now: now}); err != nil {
								b.Fatal(err)
							}
						} else if _, err := Seal(net.ids[0], cards, protocol.TypeLead, body, Options{Now: now}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkParseOpen is how a receiver opened a message before OpenParsed:
// Parse to read the header and choose its keys, then Open, which parses
// again. Compare with BenchmarkOpenParsed.
func BenchmarkParseOpen(b *testing.B) { benchReceive(b, false) }

// BenchmarkOpenParsed is how a receiver opens a message: Parse to read the
// header and choose its keys, then OpenParsed on what Parse returned.
func BenchmarkOpenParsed(b *testing.B) { benchReceive(b, true) }

func benchReceive(b *testing.B, parsed bool) {
	for _, kind := range kinds() {
		net := testNetwork(b, kind)
		for _, size := range []int{1 << 10, 1 << 20} {
			body := protocol.SizedLead(size)
			b.Run(fmt.Sprintf("%s/%dKiB/1rcpt", kind, size>>10), func(b *testing.B) {
				s, err := Seal(net.ids[0], net.cards[1:2], protocol.TypeLead, body, Options{Now: now})
				if err != nil {
					b.Fatal(err)
				}
				keys := net.keys()
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					env, p, err := Parse(s.Raw)
					if err != nil {
						b.Fatal(err)
					}
					if parsed {
						_, err = OpenParsed(env, p, net.ids[1], keys, VerifyOptions{Now: now})
					} else {
						_, err = Open(s.Raw, net.ids[1], keys, VerifyOptions{Now: now})
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
