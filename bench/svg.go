//go:build linux

package bench

import (
	"fmt"
	"math"
	"slices"
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

// RenderHAProxySVG draws the agents measured through HAProxy: one group per
// HAProxy version, one bar per agent at its median CPU per request, labelled
// with its system calls per request.
func RenderHAProxySVG(r *Report) []byte {
	type key struct{ v, a string }
	var versions, agents []string
	cpu := map[key][]float64{}
	calls := map[key][]float64{}
	for _, h := range r.HAProxy {
		if h.Mode != "spoe" || h.Err != "" || h.Requests == 0 {
			continue
		}
		v := strings.TrimPrefix(h.Version, "HAProxy version ")
		v, _, _ = strings.Cut(v, " ")
		k := key{v, h.Agent}
		if !slices.Contains(versions, v) {
			versions = append(versions, v)
		}
		if !slices.Contains(agents, h.Agent) {
			agents = append(agents, h.Agent)
		}
		cpu[k] = append(cpu[k], float64(h.CPUPerRequest()))
		if c, ok := h.PerRequest("syscalls"); ok {
			calls[k] = append(calls[k], c)
		}
	}
	const (
		w, h                  = 760.0, 380.0
		left, right, top, bot = 80.0, 20.0, 50.0, 70.0
	)
	ymax := 0.0
	for _, xs := range cpu {
		_, _, hi := medianOf(xs)
		ymax = math.Max(ymax, hi)
	}
	step := niceStep(ymax / 5)
	if step == 0 {
		step = 1
	}
	ymax = math.Ceil(ymax/step) * step
	plotW, plotH := w-left-right, h-top-bot
	y := func(v float64) float64 { return top + plotH - v/ymax*plotH }
	colors := []string{"#1f77b4", "#aec7e8", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica, Arial, sans-serif" font-size="12">`, w, h, w, h)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>`)
	p(`<text x="%.0f" y="22" font-size="16" font-weight="bold">Agent CPU per HTTP request through HAProxy (median, whiskers min–max)</text>`, left)
	p(`<text x="%.0f" y="40" fill="#555">%s; labels: agent system calls per request</text>`, left, xmlEscape(r.Machine.CPU))
	for v := 0.0; v <= ymax+step/2; v += step {
		p(`<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#e0e0e0"/>`, left, w-right, y(v), y(v))
		p(`<text x="%.0f" y="%.1f" text-anchor="end" fill="#555">%s</text>`, left-6, y(v)+4, fmtDur(v))
	}
	if len(versions) > 0 && len(agents) > 0 {
		groupW := plotW / float64(len(versions))
		barW := math.Min(60, groupW*0.8/float64(len(agents)))
		for gi, v := range versions {
			gx := left + float64(gi)*groupW + (groupW-barW*float64(len(agents)))/2
			for ai, a := range agents {
				xs := cpu[key{v, a}]
				if len(xs) == 0 {
					continue
				}
				med, lo, hi := medianOf(xs)
				x := gx + float64(ai)*barW
				p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>HAProxy %s, %s: %s per request</title></rect>`,
					x+1, y(med), barW-2, y(0)-y(med), colors[ai%len(colors)], xmlEscape(v), xmlEscape(a), fmtDur(med))
				mid := x + barW/2
				p(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>`, mid, mid, y(lo), y(hi))
				label := fmtDur(med)
				if cs := calls[key{v, a}]; len(cs) > 0 {
					c, _, _ := medianOf(cs)
					label = fmt.Sprintf("%.2f", c)
				}
				p(`<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10" fill="#333">%s</text>`, mid, y(hi)-4, label)
			}
			p(`<text x="%.1f" y="%.0f" text-anchor="middle">HAProxy %s</text>`, left+float64(gi)*groupW+groupW/2, h-bot+18, xmlEscape(v))
		}
	}
	p(`<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#333"/>`, left, w-right, y(0), y(0))
	lx := left
	for ai, a := range agents {
		p(`<rect x="%.0f" y="%.0f" width="12" height="12" fill="%s"/>`, lx, h-28, colors[ai%len(colors)])
		p(`<text x="%.0f" y="%.0f">%s</text>`, lx+16, h-18, xmlEscape(a))
		lx += 130
	}
	p(`</svg>`)
	return []byte(b.String())
}
