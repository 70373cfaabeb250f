package gate

import (
	"net/http"

	"github.com/casenode/casenode/node/console/locale"
)

// langCookie starts the name of the cookie that keeps the language a
// person picked in one browser, for a console without accounts of its
// own to keep it in; the console's suffix ends it.
const langCookie = "casenode_lang_"

// langAge keeps a picked language for a year.
const langAge = 365 * 24 * 3600

// Language returns the language picked in this browser for this console
// (its cookie), else the closest to the browser's Accept-Language.
func (c Cookies) Language(r *http.Request, cat *locale.Catalog) string {
	picked := ""
	if ck, err := r.Cookie(langCookie + c.Suffix); err == nil {
		picked = ck.Value
	}
	return cat.Pick(r, picked)
}

// KeepLanguage keeps the language of a posted language form (its field
// "lang") in this browser's cookie, for a year. It returns false, and
// keeps nothing, for a language the consoles do not speak.
func (c Cookies) KeepLanguage(w http.ResponseWriter, r *http.Request) bool {
	lang := r.PostFormValue("lang")
	if !locale.Supported(lang) {
		return false
	}
	c.Set(w, langCookie+c.Suffix, lang, langAge)
	return true
}

// Back sends the browser back to the page a posted form names in its
// field "back" (the page the language switch was on), or to home when
// that is not a path of this site.
func Back(w http.ResponseWriter, r *http.Request, home string) {
	back := r.PostFormValue("back")
	if !LocalPath(back) {
		back = home
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
