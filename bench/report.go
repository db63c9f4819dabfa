package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Row is one line of the summary table: a gateway figure, the reference
// measured in the same run, their ratio and the goal.
type Row struct {
	Scenario  string
	Metric    string
	Gateway   float64
	Reference float64
	Unit      string
	// Ratio is how the goal reads the pair: Gateway/Reference for rates
	// (higher is better) or sizes and times (lower is better).
	Ratio float64
	Goal  string
	Met   bool
	Note  string
}

// Report is everything a run measured.
type Report struct {
	Started  time.Time
	Finished time.Time
	Commit   string
	Cores    int
	Memory   string
	Postgres string
	Config   string
	Rows     []Row
	Sections []Section
	Verified []string // exactly-once and balance checks that passed
	Problems []string // checks that failed, scenarios that broke
}

// Section is a titled block of raw numbers.
type Section struct {
	Title string
	Lines []string // markdown
}

func (r *Report) add(row Row) { r.Rows = append(r.Rows, row) }

func (r *Report) section(title string, lines ...string) {
	r.Sections = append(r.Sections, Section{Title: title, Lines: lines})
}

func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func fmtNum(v float64, unit string) string {
	switch unit {
	case "/s":
		return fmt.Sprintf("%.0f/s", v)
	case "ms":
		if v < 10 {
			return fmt.Sprintf("%.2f ms", v)
		}
		return fmt.Sprintf("%.0f ms", v)
	case "s":
		return fmt.Sprintf("%.2f s", v)
	case "MB":
		return fmt.Sprintf("%.1f MB", v)
	case "KB":
		return fmt.Sprintf("%.0f KB", v)
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

// Markdown renders the report as the section appended to docs/BENCHMARKS.md.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## %s — commit %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Commit)
	fmt.Fprintf(&b, "Machine: %d cores, %s memory, PostgreSQL %s. %s. Took %s.\n\n", r.Cores, r.Memory, r.Postgres, r.Config,
		r.Finished.Sub(r.Started).Round(time.Second))
	b.WriteString("| # | scenario | gateway | reference (same run) | ratio | goal | met |\n")
	b.WriteString("|---|---|---:|---:|---:|---|---|\n")
	for i, row := range r.Rows {
		met := "yes"
		if !row.Met {
			met = "**no**"
		}
		ratio := "—"
		if row.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f×", row.Ratio)
		}
		name := row.Scenario + ": " + row.Metric
		if row.Note != "" {
			name += " (" + row.Note + ")"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s |\n", i+1, name, fmtNum(row.Gateway, row.Unit),
			fmtNum(row.Reference, row.Unit), ratio, row.Goal, met)
	}
	b.WriteString("\n")
	if len(r.Verified) > 0 {
		b.WriteString("Verified after the run: " + strings.Join(r.Verified, "; ") + ".\n\n")
	}
	if len(r.Problems) > 0 {
		b.WriteString("**Problems:**\n\n")
		for _, p := range r.Problems {
			b.WriteString("- " + p + "\n")
		}
		b.WriteString("\n")
	}
	for _, s := range r.Sections {
		fmt.Fprintf(&b, "<details><summary>%s</summary>\n\n", s.Title)
		for _, l := range s.Lines {
			b.WriteString(l + "\n")
		}
		b.WriteString("\n</details>\n\n")
	}
	return b.String()
}

// benchmarksHeader starts docs/BENCHMARKS.md if it is missing; the file
// in the repository describes every scenario above the runs.
const benchmarksHeader = "# Benchmarks\n\n`make bench` appends one section per run, newest last.\n\n"

// appendMarkdown adds the report to path, creating it with a header.
func appendMarkdown(path string, r *Report) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		if _, err := io.WriteString(f, benchmarksHeader); err != nil {
			return err
		}
	}
	_, err = io.WriteString(f, r.Markdown())
	return err
}
