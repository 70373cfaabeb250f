package browsertest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
)

// Client is a browser without JavaScript, for the consoles' HTTP tests: a
// cookie jar that does not follow redirects.
func Client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Get fetches u and returns the response with its body read.
func Get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Post posts the form v to u and returns the response with its body read.
func Post(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// CSRF returns the CSRF token of a page's form.
func CSRF(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in %.300s", body)
	}
	return m[1]
}

// SignIn signs name in at the console at base (ending in /) with
// password, through its sign-in form.
func SignIn(t *testing.T, c *http.Client, base, name, password string) *http.Response {
	t.Helper()
	_, body := Get(t, c, base+"signin")
	resp, _ := Post(t, c, base+"signin", url.Values{"csrf": {CSRF(t, body)}, "name": {name}, "password": {password}})
	return resp
}
