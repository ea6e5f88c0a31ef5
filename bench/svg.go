//go:build linux

package bench

import (
	"fmt"
	"math"
	"strings"
)

// chartColors gives each contender a fixed colour.
var chartColors = map[string]string{"ceiling": "#9e9e9e", "epoll": "#1f77b4", "std": "#2ca02c"}

// RenderSVG draws a grouped bar chart of the closed-loop scenarios: one group
// per scenario, one bar per contender at its median ACKs/s, a whisker from
// the slowest to the fastest run, and the ratio to the ceiling above each
// spopkit bar.
func RenderSVG(r *Report) []byte {
	var scen []*ScenarioResult
	for i := range r.Scenarios {
		if r.Scenarios[i].Scenario.Rate == 0 {
			scen = append(scen, &r.Scenarios[i])
		}
	}
	const (
		w, h                  = 960.0, 420.0
		left, right, top, bot = 80.0, 20.0, 50.0, 70.0
	)
	rate := func(m Measurement) float64 { return m.Rate }
	ymax := 0.0
	for _, s := range scen {
		for _, e := range r.Engines {
			if _, _, hi, n := s.stat(e, rate); n > 0 {
				ymax = math.Max(ymax, hi)
			}
		}
	}
	step := niceStep(ymax / 5)
	if step == 0 {
		step = 1
	}
	ymax = math.Ceil(ymax/step) * step
	plotW, plotH := w-left-right, h-top-bot
	y := func(v float64) float64 { return top + plotH - v/ymax*plotH }

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica, Arial, sans-serif" font-size="12">`, w, h, w, h)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>`)
	p(`<text x="%.0f" y="22" font-size="16" font-weight="bold">ACKs per second (median of %d runs, whiskers min–max)</text>`, left, r.Options.Runs)
	pin := "unpinned"
	if r.Options.Pin {
		pin = fmt.Sprintf("agent on CPU %d, generator on CPU %d", r.Options.AgentCPU, r.Options.GenCPU)
	}
	p(`<text x="%.0f" y="40" fill="#555">%s, %s</text>`, left, xmlEscape(r.Machine.CPU), pin)
	for v := 0.0; v <= ymax+step/2; v += step {
		p(`<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#e0e0e0"/>`, left, w-right, y(v), y(v))
		p(`<text x="%.0f" y="%.1f" text-anchor="end" fill="#555">%s</text>`, left-6, y(v)+4, fmtShort(v))
	}
	if len(scen) > 0 && len(r.Engines) > 0 {
		groupW := plotW / float64(len(scen))
		barW := math.Min(40, groupW*0.8/float64(len(r.Engines)))
		for gi, s := range scen {
			gx := left + float64(gi)*groupW + (groupW-barW*float64(len(r.Engines)))/2
			c, _, _, cn := s.stat("ceiling", rate)
			for ei, e := range r.Engines {
				med, lo, hi, n := s.stat(e, rate)
				if n == 0 {
					continue
				}
				x := gx + float64(ei)*barW
				p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s ACKs/s</title></rect>`,
					x+1, y(med), barW-2, y(0)-y(med), chartColors[e], xmlEscape(s.Scenario.Name), e, fmtRate(med))
				mid := x + barW/2
				p(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>`, mid, mid, y(lo), y(hi))
				label := fmtShort(med)
				if e != "ceiling" && cn > 0 && c > 0 {
					label = fmt.Sprintf("%.2f×", med/c)
				}
				p(`<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10" fill="#333">%s</text>`, mid, y(hi)-4, label)
			}
			p(`<text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`, left+float64(gi)*groupW+groupW/2, h-bot+18, xmlEscape(s.Scenario.Name))
		}
	}
	p(`<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#333"/>`, left, w-right, y(0), y(0))
	lx := left
	for _, e := range r.Engines {
		p(`<rect x="%.0f" y="%.0f" width="12" height="12" fill="%s"/>`, lx, h-28, chartColors[e])
		p(`<text x="%.0f" y="%.0f">%s</text>`, lx+16, h-18, e)
		lx += 110
	}
	p(`<text x="%.0f" y="%.0f" fill="#555">labels on spopkit bars: median ÷ ceiling median</text>`, lx+20, h-18)
	p(`</svg>`)
	return []byte(b.String())
}

// niceStep rounds v up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
