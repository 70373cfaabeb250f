package secretariat

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/casenode/casenode/node/hub"
)

// statsData is the statistics page's data.
type statsData struct {
	F        *hub.Figures
	From, To string
	Error    string
	Matrix   *matrixView
	Bars     *barsView
	CSV      string
}

func (s *Server) figures(r *http.Request) (*hub.Figures, string, string, error) {
	from, to, err := statsRange(r.URL.Query(), s.now())
	if err != nil {
		return nil, "", "", err
	}
	return s.h.Stats(from, to, s.now()), from.Format(time.DateOnly), to.Format(time.DateOnly), nil
}

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, c *call) {
	f, from, to, err := s.figures(r)
	if err != nil {
		s.render(w, r, c, http.StatusBadRequest, "stats", "sec.stats.title", "stats", &statsData{Error: c.p.T("sec.stats.badrange", "Detail", err.Error())})
		return
	}
	d := &statsData{F: f, From: from, To: to, Matrix: newMatrix(f), Bars: newBars(f),
		CSV: "/stats.csv?from=" + from + "&to=" + to}
	s.render(w, r, c, http.StatusOK, "stats", "sec.stats.title", "stats", d)
}

// statsCSV exports the period's figures as CSV: one row per day, country
// pair and type, then the times per country and the unanswered requests.
func (s *Server) statsCSV(w http.ResponseWriter, r *http.Request, c *call) {
	f, from, to, err := s.figures(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"casenode-%s-%s-%s.csv\"", s.h.Config().Network, from, to))
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	secs := func(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
	cw.Write([]string{"figure", "key", "from_country", "to_country", "value"})
	for _, d := range f.Days {
		cw.Write([]string{"messages_per_day", d.Day.Format(time.DateOnly), "", "", i(d.Messages)})
	}
	for _, p := range f.Pairs {
		cw.Write([]string{"messages_by_country_pair", "", p.From, p.To, i(p.Messages)})
	}
	for _, t := range f.Types {
		cw.Write([]string{"messages_by_type", string(t.Type), "", "", i(t.Messages)})
	}
	for _, t := range f.Times {
		cw.Write([]string{"reply_seconds_median", "", t.Country, "", secs(t.ReplyMedian)})
		cw.Write([]string{"reply_seconds_p90", "", t.Country, "", secs(t.ReplyP90)})
		cw.Write([]string{"read_seconds_median", "", t.Country, "", secs(t.ReadMedian)})
		cw.Write([]string{"read_seconds_p90", "", t.Country, "", secs(t.ReadP90)})
	}
	for _, u := range f.Unanswered {
		cw.Write([]string{"requests_unanswered", u.Band, "", "", i(u.Count)})
	}
	cw.Flush()
}

// matrixView is the flow map: member countries as a matrix, senders in
// rows and recipients in columns, drawn as SVG by the template.
type matrixView struct {
	W, H   int
	Labels []svgText
	Cells  []svgCell
}

type svgText struct {
	X, Y   int
	Text   string
	Anchor string
}

type svgCell struct {
	X, Y, Size int
	Fill, Ink  string
	N          int64
	From, To   string
}

// Matrix layout, in SVG user units.
const (
	cell   = 44
	margin = 40
)

// shades is the number of cell fills.
const shades = 5

// shade returns the fill of level k (0: none, shades-1: most) and the ink
// of the count written on it, with enough contrast.
func shade(k int) (fill, ink string) {
	switch k {
	case 0:
		return "#f0f3f7", "#1a1a1a"
	case 1:
		return "#c6dbef", "#1a1a1a"
	case 2:
		return "#6baed6", "#1a1a1a"
	case 3:
		return "#2171b5", "#ffffff"
	}
	return "#08306b", "#ffffff"
}

func newMatrix(f *hub.Figures) *matrixView {
	n := len(f.Countries)
	if n == 0 {
		return nil
	}
	var most int64
	for _, row := range f.Matrix {
		for _, v := range row {
			most = max(most, v)
		}
	}
	m := &matrixView{W: margin + n*cell + 8, H: margin + n*cell + 8}
	for i, c := range f.Countries {
		m.Labels = append(m.Labels, svgText{X: margin - 6, Y: margin + i*cell + cell/2 + 5, Text: c, Anchor: "end"},
			svgText{X: margin + i*cell + cell/2, Y: margin - 10, Text: c, Anchor: "middle"})
	}
	for i, row := range f.Matrix {
		for j, v := range row {
			k := 0
			if v > 0 && most > 0 {
				k = 1 + int(v*(shades-2)/most)
			}
			fill, ink := shade(k)
			m.Cells = append(m.Cells, svgCell{X: margin + j*cell, Y: margin + i*cell, Size: cell - 2, Fill: fill, Ink: ink,
				N: v, From: f.Countries[i], To: f.Countries[j]})
		}
	}
	return m
}

// barsView is the messages per day as bars.
type barsView struct {
	W, H int
	Bars []svgBar
}

type svgBar struct {
	X, Y, W, H int
	Day        time.Time
	N          int64
}

func newBars(f *hub.Figures) *barsView {
	if len(f.Days) == 0 {
		return nil
	}
	const height, width = 120, 12
	var most int64
	for _, d := range f.Days {
		most = max(most, d.Messages)
	}
	b := &barsView{W: len(f.Days)*width + 2, H: height + 2}
	for i, d := range f.Days {
		h := 1
		if most > 0 {
			h = max(1, int(d.Messages*height/most))
		}
		b.Bars = append(b.Bars, svgBar{X: 1 + i*width, Y: 1 + height - h, W: width - 2, H: h, Day: d.Day, N: d.Messages})
	}
	return b
}
