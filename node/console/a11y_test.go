package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// contrastJS returns the text elements whose contrast with their
// background is under WCAG AA's 4.5:1 (3:1 for large text), computed from
// the styles the browser applied; form controls' own text included.
const contrastJS = `(() => {
const rgb = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
const bad = [];
for (const el of document.querySelectorAll('body *')) {
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '') || ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(el.tagName);
  if (!own || el.offsetParent === null && el.tagName !== 'BODY') continue;
  const st = getComputedStyle(el); const fg = rgb(st.color); const b = bg(el);
  const l1 = lum(fg), l2 = lum(b); const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  const size = parseFloat(st.fontSize); const large = size >= 24 || size >= 18.66 && parseInt(st.fontWeight) >= 700;
  if (ratio < (large ? 3 : 4.5)) bad.push(el.tagName + '.' + el.className + ' "' + (el.textContent || el.value || '').trim().slice(0, 30) + '" ' + ratio.toFixed(2));
}
return bad; })()`

// checkAccessible checks the page the tab shows: sufficient contrast of
// every text, a label for every form control, and a visible outline on
// the element the keyboard focuses.
func checkAccessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	for _, b := range eval[[]string](t, ctx, contrastJS) {
		t.Errorf("%s: low contrast: %s", page, b)
	}
	unlabelled := eval[[]string](t, ctx, `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name || e.id)`)
	for _, u := range unlabelled {
		t.Errorf("%s: the control %q has no label", page, u)
	}
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`),
		chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
	focus := eval[string](t, ctx, `(() => { const e = document.activeElement; const s = getComputedStyle(e); return e.tagName + ' ' + s.outlineStyle + ' ' + s.outlineWidth; })()`)
	if focus == "" || strings.HasSuffix(focus, " 0px") || strings.Contains(focus, " none ") {
		t.Errorf("%s: the focused element shows no outline: %s", page, focus)
	}
}
