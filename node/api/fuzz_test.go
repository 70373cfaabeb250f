package api

import (
	"strings"
	"testing"
)

// FuzzParseTokens parses any token file: it never panics, and every token
// it returns has a valid, unique holder and a secret of at least 32
// characters that appears in the file.
func FuzzParseTokens(f *testing.F) {
	f.Add("api 0123456789abcdef0123456789abcdef0123456789abcdef\n")
	f.Add("# comment\nconsole c0ns0le-c0ns0le-c0ns0le-c0ns0le-c0\nscanner s-s-s-s-s-s-s-s-s-s-s-s-s-s-s-s-s\n")
	f.Add("0123456789abcdef0123456789abcdef\n")
	f.Add("a b c\n")
	f.Fuzz(func(t *testing.T, text string) {
		tokens, err := parseTokens("api.token", text)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, tk := range tokens {
			if !validHolder(tk.Holder) || seen[tk.Holder] || len(tk.Secret) < 32 || !strings.Contains(text, string(tk.Secret)) {
				t.Fatalf("token %q of %q from %q", tk.Secret, tk.Holder, text)
			}
			seen[tk.Holder] = true
		}
	})
}
