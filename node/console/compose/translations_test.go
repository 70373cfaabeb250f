package compose

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The languages the console speaks, and where their messages are.
var (
	consoleLanguages = []string{"en", "fr", "pt"}
	translationsDir  = filepath.Join("..", "locale", "translations")
)

// loadMessages reads one of our message files in go-i18n v2's JSON format:
// an object of message ids, each a string or an object of plural forms.
// It returns each message's texts.
func loadMessages(t *testing.T, name string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(translationsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string][]string{}
	for id, r := range raw {
		var s string
		if json.Unmarshal(r, &s) == nil {
			out[id] = []string{s}
			continue
		}
		var plural map[string]string
		if err := json.Unmarshal(r, &plural); err != nil {
			t.Errorf("%s: %s is neither a string nor plural forms", name, id)
			continue
		}
		for form, s := range plural {
			if !slices.Contains([]string{"description", "zero", "one", "two", "few", "many", "other"}, form) {
				t.Errorf("%s: %s has an unknown key %q", name, id, form)
			}
			out[id] = append(out[id], s)
		}
		if plural["other"] == "" {
			t.Errorf("%s: %s has no \"other\" form", name, id)
		}
	}
	return out
}

var placeholderRE = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(texts []string) string {
	var p []string
	for _, s := range texts {
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			p = append(p, m[1])
		}
	}
	slices.Sort(p)
	return strings.Join(slices.Compact(p), ",")
}

// Every message the forms use and every value of the vocabulary is
// translated in every language, not empty, with the same template data as
// in English; no language has a message the others lack.
func TestTranslationsComplete(t *testing.T) {
	for _, file := range []struct {
		base string
		ids  []string
	}{
		{"compose", filterPrefix(MessageIDs(), "compose.")},
		{"vocab", append(VocabIDs(), filterOut(MessageIDs(), "compose.")...)},
	} {
		en := loadMessages(t, file.base+".en.json")
		for _, lang := range consoleLanguages {
			msgs := loadMessages(t, file.base+"."+lang+".json")
			for _, id := range file.ids {
				texts, ok := msgs[id]
				if !ok {
					t.Errorf("%s.%s.json lacks %q", file.base, lang, id)
					continue
				}
				for _, s := range texts {
					if strings.TrimSpace(s) == "" {
						t.Errorf("%s.%s.json: %q is empty", file.base, lang, id)
					}
				}
				if got, want := placeholders(texts), placeholders(en[id]); got != want {
					t.Errorf("%s.%s.json: %q uses {{.%s}}, English uses {{.%s}}", file.base, lang, id, got, want)
				}
			}
			for id := range msgs {
				if _, ok := en[id]; !ok {
					t.Errorf("%s.%s.json has %q, which English lacks", file.base, lang, id)
				}
				if !slices.Contains(file.ids, id) {
					t.Errorf("%s.%s.json has %q, which nothing uses", file.base, lang, id)
				}
			}
		}
	}
}

func filterPrefix(ids []string, prefix string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	return out
}

func filterOut(ids []string, prefix string) []string {
	var out []string
	for _, id := range ids {
		if !strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	return out
}

// The vocabulary names every protocol value the console shows.
func TestVocabularyCoversProtocol(t *testing.T) {
	ids := VocabIDs()
	for _, want := range []string{
		"crime.smuggling-of-migrants", "request_kind.expedited-preservation",
		"handling.H3", "handling.H3.may", "handling.H3.may_not",
		"source_evaluation.B", "information_evaluation.2", "urgency.immediate",
		"status_state.more-information-needed", "receipt_state.relayed", "reason.revoked",
	} {
		if !slices.Contains(ids, want) {
			t.Errorf("VocabIDs lacks %q", want)
		}
	}
	en := loadMessages(t, "vocab.en.json")
	if got := en["information_evaluation.2"][0]; got != "2 — known personally to the source but not to the official passing it on" {
		t.Errorf("information_evaluation.2 = %q", got)
	}
	if got := en["source_evaluation.B"][0]; got != "B — usually reliable" {
		t.Errorf("source_evaluation.B = %q", got)
	}
}
