package secretariat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// contrastJS returns the text elements whose contrast with their
// background is under WCAG AA's 4.5:1 (3:1 for large text), as the
// agency's console checks them.
const contrastJS = `(() => {
const rgb = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
const bad = [];
for (const el of document.querySelectorAll('body *')) {
  if (el.closest('svg')) continue;
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '') || ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(el.tagName);
  if (!own || el.offsetParent === null && el.tagName !== 'BODY') continue;
  const st = getComputedStyle(el); const fg = rgb(st.color); const b = bg(el);
  const l1 = lum(fg), l2 = lum(b); const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  const size = parseFloat(st.fontSize); const large = size >= 24 || size >= 18.66 && parseInt(st.fontWeight) >= 700;
  if (ratio < (large ? 3 : 4.5)) bad.push(el.tagName + '.' + el.className + ' "' + (el.textContent || el.value || '').trim().slice(0, 30) + '" ' + ratio.toFixed(2));
}
return bad; })()`

// svgContrastJS checks the counts written on the flow map's cells against
// their fill.
const svgContrastJS = `(() => {
const hex = s => ({r: parseInt(s.slice(1, 3), 16), g: parseInt(s.slice(3, 5), 16), b: parseInt(s.slice(5, 7), 16)});
const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
const bad = [];
for (const g of document.querySelectorAll('svg.chart g')) {
  const r = g.querySelector('rect'), t = g.querySelector('text'); if (!r || !t) continue;
  const l1 = lum(hex(r.getAttribute('fill'))), l2 = lum(hex(t.getAttribute('fill')));
  const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05); if (ratio < 4.5) bad.push(t.textContent + ' ' + ratio.toFixed(2));
}
return bad; })()`

// checkAccessible checks the page the tab shows: sufficient contrast of
// every text (the flow map's too), a label for every form control, a
// title for every chart, and a visible outline on the element the
// keyboard focuses.
func checkAccessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	for _, b := range eval[[]string](t, ctx, contrastJS) {
		t.Errorf("%s: low contrast: %s", page, b)
	}
	for _, b := range eval[[]string](t, ctx, svgContrastJS) {
		t.Errorf("%s: low contrast in the flow map: %s", page, b)
	}
	unlabelled := eval[[]string](t, ctx, `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name || e.id)`)
	for _, u := range unlabelled {
		t.Errorf("%s: the control %q has no label", page, u)
	}
	if n := eval[int](t, ctx, `[...document.querySelectorAll('svg')].filter(s => !s.querySelector('title') || !s.getAttribute('role')).length`); n > 0 {
		t.Errorf("%s: %d charts without a role and a title", page, n)
	}
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`),
		chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
	focus := eval[string](t, ctx, `(() => { const e = document.activeElement; const s = getComputedStyle(e); return e.tagName + ' ' + s.outlineStyle + ' ' + s.outlineWidth; })()`)
	if focus == "" || strings.HasSuffix(focus, " 0px") || strings.Contains(focus, " none ") {
		t.Errorf("%s: the focused element shows no outline: %s", page, focus)
	}
}
