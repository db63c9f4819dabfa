package api

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/problem"
)

// openapiYAML is the API's contract. It is hand-written from the handlers;
// internal/gatewaytest validates every response of the test suite against it,
// and TestOpenAPIDocumentsEveryRoute keeps it and the router in step.
//
//go:embed openapi.yaml
var openapiYAML []byte

// docsCache is how long /openapi.json and /docs may be cached.
const docsCache = "public, max-age=300"

var openapiState struct {
	once sync.Once
	doc  *openapi3.T
	json []byte
	html []byte
	err  error
}

func loadOpenAPI() {
	st := &openapiState
	st.once.Do(func() {
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = false
		doc, err := loader.LoadFromData(openapiYAML)
		if err != nil {
			st.err = fmt.Errorf("openapi.yaml: load: %w", err)
			return
		}
		// Validate adds the JSON Schema 2020-12 options itself for a 3.1
		// document; examples are checked against their schemas too.
		if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation(), openapi3.EnableSchemaFormatValidation()); err != nil {
			st.err = fmt.Errorf("openapi.yaml: invalid: %w", err)
			return
		}
		if !doc.IsOpenAPI31OrLater() {
			st.err = fmt.Errorf("openapi.yaml: version %q, want 3.1", doc.OpenAPI)
			return
		}
		body, err := json.Marshal(doc)
		if err != nil {
			st.err = fmt.Errorf("openapi.yaml: marshal: %w", err)
			return
		}
		page, err := renderDocs(doc)
		if err != nil {
			st.err = fmt.Errorf("openapi.yaml: docs page: %w", err)
			return
		}
		st.doc, st.json, st.html = doc, body, page
	})
}

// OpenAPI returns the loaded and validated document. It panics when the
// embedded document is broken, which TestOpenAPIDocument catches.
func OpenAPI() *openapi3.T {
	loadOpenAPI()
	if openapiState.err != nil {
		panic(openapiState.err)
	}
	return openapiState.doc
}

// routesDocs serves the contract (GET /openapi.json) and a readable page
// made from it (GET /docs). Both are public: they hold nothing secret.
func (s *Server) routesDocs() {
	s.Echo.GET("/openapi.json", s.openapiJSON)
	s.Echo.GET("/docs", s.docsPage)
}

func (s *Server) openapiJSON(c echo.Context) error {
	loadOpenAPI()
	if openapiState.err != nil {
		return s.docsUnavailable(openapiState.err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", docsCache)
	h.Set("Access-Control-Allow-Origin", "*")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openapiState.json)
}

func (s *Server) docsPage(c echo.Context) error {
	loadOpenAPI()
	if openapiState.err != nil {
		return s.docsUnavailable(openapiState.err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", docsCache)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, openapiState.html)
}

// docsUnavailable is a broken embedded document: a build defect, logged,
// never a crash of the gateway.
func (s *Server) docsUnavailable(err error) error {
	s.deps.Log.Error("openapi document unavailable", "err", err)
	return problem.New(http.StatusInternalServerError, "internal_error", "the API description is unavailable")
}

// ---- the /docs page ------------------------------------------------------

type docsPageData struct {
	Title, Version, Summary string
	Intro                   template.HTML
	Security                []docsSecurity
	Groups                  []docsGroup
	Schemas                 []docsSchema
}

type docsSecurity struct {
	Name, Kind  string
	Description template.HTML
}

type docsGroup struct {
	Name        string
	Description template.HTML
	Ops         []docsOp
}

type docsOp struct {
	ID, Method, Path, Summary string
	Description               template.HTML
	Auth                      []string
	Params                    []docsField
	Body                      *docsBody
	Responses                 []docsResponse
}

type docsBody struct {
	Required bool
	Media    []docsMedia
}

type docsMedia struct {
	Type    string
	Schema  template.HTML
	Fields  []docsField
	Example string
}

type docsResponse struct {
	Status      string
	Description template.HTML
	Headers     []docsField
	Media       []docsMedia
}

type docsSchema struct {
	Name        string
	Description template.HTML
	Type        template.HTML
	Notes       string
	Fields      []docsField
}

// docsField is one parameter, header or property, with its nested fields.
type docsField struct {
	Name        string
	In          string
	Required    bool
	Type        template.HTML
	Notes       string
	Description template.HTML
	Fields      []docsField
}

func renderDocs(doc *openapi3.T) ([]byte, error) {
	data := docsPageData{Title: doc.Info.Title, Version: doc.Info.Version, Summary: doc.Info.Summary, Intro: markdown(doc.Info.Description)}
	if doc.Components != nil {
		for _, name := range sortedKeys(doc.Components.SecuritySchemes) {
			ss := doc.Components.SecuritySchemes[name].Value
			kind := ss.Type
			switch ss.Type {
			case "http":
				kind = "HTTP " + ss.Scheme
				if ss.BearerFormat != "" {
					kind += " (" + ss.BearerFormat + ")"
				}
			case "apiKey":
				kind = "API key in " + ss.In + " parameter " + ss.Name
			}
			data.Security = append(data.Security, docsSecurity{Name: name, Kind: kind, Description: markdown(ss.Description)})
		}
	}

	groups := map[string]*docsGroup{}
	var order []string
	for _, tag := range doc.Tags {
		groups[tag.Name] = &docsGroup{Name: tag.Name, Description: markdown(tag.Description)}
		order = append(order, tag.Name)
	}
	paths := doc.Paths.Map()
	for _, path := range sortedKeys(paths) {
		item := paths[path]
		for _, method := range docsMethods {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			g := groups[tag]
			if g == nil {
				g = &docsGroup{Name: tag}
				groups[tag] = g
				order = append(order, tag)
			}
			g.Ops = append(g.Ops, docsOperation(doc, path, method, item, op))
		}
	}
	for _, name := range order {
		if g := groups[name]; len(g.Ops) > 0 {
			data.Groups = append(data.Groups, *g)
		}
	}
	if doc.Components != nil {
		for _, name := range sortedKeys(doc.Components.Schemas) {
			ref := doc.Components.Schemas[name]
			s := ref.Value
			data.Schemas = append(data.Schemas, docsSchema{
				Name: name, Description: markdown(s.Description), Type: schemaType(ref.Value, true),
				Notes: schemaNotes(s), Fields: schemaFields(s, 0),
			})
		}
	}
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var docsMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func docsOperation(doc *openapi3.T, path, method string, item *openapi3.PathItem, op *openapi3.Operation) docsOp {
	o := docsOp{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: markdown(op.Description)}
	if o.ID == "" {
		o.ID = strings.ToLower(method) + strings.NewReplacer("/", "-", "{", "", "}", "").Replace(path)
	}
	security := doc.Security
	if op.Security != nil {
		security = *op.Security
	}
	for _, req := range security {
		names := sortedKeys(req)
		o.Auth = append(o.Auth, strings.Join(names, " + "))
	}
	var params openapi3.Parameters
	params = append(params, item.Parameters...)
	params = append(params, op.Parameters...)
	for _, p := range params {
		v := p.Value
		if v.Name == "X-Request-ID" {
			continue // on every operation; said once at the top of the page
		}
		f := docsField{Name: v.Name, In: v.In, Required: v.Required, Description: markdown(v.Description)}
		if v.Schema != nil {
			f.Type = refType(v.Schema)
			f.Notes = schemaNotes(v.Schema.Value)
		}
		o.Params = append(o.Params, f)
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		rb := op.RequestBody.Value
		o.Body = &docsBody{Required: rb.Required, Media: docsContent(rb.Content)}
	}
	if op.Responses != nil {
		codes := sortedKeys(op.Responses.Map())
		for _, code := range codes {
			r := op.Responses.Value(code).Value
			dr := docsResponse{Status: code, Description: markdown(deref(r.Description)), Media: docsContent(r.Content)}
			for _, name := range sortedKeys(r.Headers) {
				if name == "X-Request-ID" {
					continue
				}
				h := r.Headers[name].Value
				f := docsField{Name: name, Required: h.Required, Description: markdown(h.Description)}
				if h.Schema != nil {
					f.Type = refType(h.Schema)
					f.Notes = schemaNotes(h.Schema.Value)
				}
				dr.Headers = append(dr.Headers, f)
			}
			o.Responses = append(o.Responses, dr)
		}
	}
	return o
}

func docsContent(content openapi3.Content) []docsMedia {
	var out []docsMedia
	for _, mt := range sortedKeys(content) {
		m := content[mt]
		dm := docsMedia{Type: mt}
		if m.Schema != nil {
			dm.Schema = refType(m.Schema)
			if v := m.Schema.Value; m.Schema.Ref == "" && v != nil {
				if len(v.AllOf) > 1 && v.AllOf[0].Ref != "" && v.AllOf[0].Ref != componentPrefix+"List" {
					// A component narrowed for this response, such as a
					// Problem with its status and codes: name the narrowing.
					dm.Schema += template.HTML(html.EscapeString(refinement(v.AllOf[1:])))
				} else {
					dm.Fields = schemaFields(v, 0)
				}
			}
		}
		if m.Example != nil {
			if b, err := json.MarshalIndent(m.Example, "", "  "); err == nil {
				dm.Example = string(b)
			}
		}
		out = append(out, dm)
	}
	return out
}

// refinement describes the properties narrowed by allOf parts after the
// first, as in ` with status 404, code one of: …`.
func refinement(parts openapi3.SchemaRefs) string {
	var out []string
	for _, part := range parts {
		if part.Value == nil {
			continue
		}
		for _, name := range sortedKeys(part.Value.Properties) {
			p := part.Value.Properties[name].Value
			switch {
			case p == nil:
			case p.Const != nil:
				out = append(out, fmt.Sprintf("%s %v", name, p.Const))
			case len(p.Enum) > 0:
				vals := make([]string, len(p.Enum))
				for i, v := range p.Enum {
					vals[i] = fmt.Sprint(v)
				}
				out = append(out, name+" one of: "+strings.Join(vals, ", "))
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " with " + strings.Join(out, "; ")
}

const componentPrefix = "#/components/schemas/"

// refType names a schema: a link for a component, a description otherwise.
func refType(ref *openapi3.SchemaRef) template.HTML {
	if ref == nil {
		return "any"
	}
	if name, ok := strings.CutPrefix(ref.Ref, componentPrefix); ok {
		return template.HTML(`<a href="#schema-` + html.EscapeString(name) + `">` + html.EscapeString(name) + `</a>`)
	}
	if ref.Value == nil {
		return "any"
	}
	return schemaType(ref.Value, false)
}

// schemaType is a short, linked description of a schema's type.
func schemaType(s *openapi3.Schema, top bool) template.HTML {
	switch {
	case s.Const != nil:
		b, _ := json.Marshal(s.Const)
		return template.HTML("constant <code>" + html.EscapeString(string(b)) + "</code>")
	case len(s.OneOf) > 0:
		return joinTypes(s.OneOf, " or ")
	case len(s.AnyOf) > 0 && s.Type == nil:
		return joinTypes(s.AnyOf, " or ")
	case len(s.AllOf) > 0 && s.Type == nil:
		// A list envelope: the List component refined with its items.
		if s.AllOf[0].Ref == componentPrefix+"List" && len(s.AllOf) > 1 {
			if data := s.AllOf[1].Value.Properties["data"]; data != nil && data.Value.Items != nil {
				return template.HTML(`<a href="#schema-List">list</a> of `) + refType(data.Value.Items)
			}
		}
		return refType(s.AllOf[0])
	}
	var parts []string
	types := s.Type.Slice()
	if len(types) == 0 {
		switch {
		case s.Items != nil:
			types = []string{"array"}
		case len(s.Properties) > 0:
			types = []string{"object"}
		}
	}
	for _, t := range types {
		switch t {
		case "array":
			parts = append(parts, "array of "+string(refType(s.Items)))
		case "object":
			if len(s.Properties) == 0 && s.AdditionalProperties.Schema != nil {
				parts = append(parts, "map of string to "+string(refType(s.AdditionalProperties.Schema)))
			} else {
				parts = append(parts, "object")
			}
		default:
			p := html.EscapeString(t)
			if s.Format != "" && t != "null" {
				p += " (" + html.EscapeString(s.Format) + ")"
			}
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		if top {
			return "schema"
		}
		return "any"
	}
	return template.HTML(strings.Join(parts, " or "))
}

func joinTypes(refs openapi3.SchemaRefs, sep string) template.HTML {
	parts := make([]string, 0, len(refs))
	for _, r := range refs {
		parts = append(parts, string(refType(r)))
	}
	return template.HTML(strings.Join(parts, sep))
}

// schemaNotes lists a schema's constraints in words.
func schemaNotes(s *openapi3.Schema) string {
	if s == nil {
		return ""
	}
	var notes []string
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = fmt.Sprint(v)
		}
		notes = append(notes, "one of: "+strings.Join(vals, ", "))
	}
	if s.Items != nil && s.Items.Ref == "" && s.Items.Value != nil && len(s.Items.Value.Enum) > 0 {
		notes = append(notes, "items "+schemaNotes(s.Items.Value))
	}
	if s.Pattern != "" {
		notes = append(notes, "pattern "+s.Pattern)
	}
	if s.MinLength > 0 {
		notes = append(notes, "min length "+strconv.FormatUint(s.MinLength, 10))
	}
	if s.MaxLength != nil {
		notes = append(notes, "max length "+strconv.FormatUint(*s.MaxLength, 10))
	}
	if s.Min != nil {
		notes = append(notes, "minimum "+strconv.FormatFloat(*s.Min, 'f', -1, 64))
	}
	if s.Max != nil {
		notes = append(notes, "maximum "+strconv.FormatFloat(*s.Max, 'f', -1, 64))
	}
	if s.MaxProps != nil {
		notes = append(notes, "at most "+strconv.FormatUint(*s.MaxProps, 10)+" keys")
	}
	if s.MinItems > 0 {
		notes = append(notes, "at least "+strconv.FormatUint(s.MinItems, 10)+" items")
	}
	if s.Default != nil {
		notes = append(notes, "default "+fmt.Sprint(s.Default))
	}
	if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
		notes = append(notes, "no other fields")
	}
	if len(s.AnyOf) > 0 {
		var alts []string
		for _, a := range s.AnyOf {
			if a.Value != nil && len(a.Value.Required) > 0 {
				alts = append(alts, strings.Join(a.Value.Required, "+"))
			}
		}
		if len(alts) > 0 {
			notes = append(notes, "requires at least one of: "+strings.Join(alts, ", "))
		}
	}
	return strings.Join(notes, "; ")
}

// schemaFields lists an object's properties (merged over allOf), nesting
// inline objects; components are linked, not expanded.
func schemaFields(s *openapi3.Schema, depth int) []docsField {
	if s == nil || depth > 4 {
		return nil
	}
	props := map[string]*openapi3.SchemaRef{}
	required := map[string]bool{}
	var merge func(s *openapi3.Schema)
	merge = func(s *openapi3.Schema) {
		for _, part := range s.AllOf {
			if part.Value != nil {
				merge(part.Value)
			}
		}
		for name, p := range s.Properties {
			if prev := props[name]; prev != nil && p.Ref == "" && p.Value != nil && p.Value.Type == nil && p.Value.Items != nil {
				// A refinement such as a list's data items: keep the array, name its items.
				props[name] = &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: p.Value.Items, Description: prev.Value.Description}}
				continue
			}
			if prev := props[name]; prev != nil && p.Ref == "" && p.Value != nil && p.Value.Type == nil && p.Value.Const == nil && len(p.Value.Enum) == 0 {
				continue
			}
			props[name] = p
		}
		for _, r := range s.Required {
			required[r] = true
		}
	}
	merge(s)
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if required[names[i]] != required[names[j]] {
			return required[names[i]]
		}
		return names[i] < names[j]
	})
	var out []docsField
	for _, name := range names {
		p := props[name]
		f := docsField{Name: name, Required: required[name], Type: refType(p)}
		if p.Value != nil {
			f.Description = markdown(p.Value.Description)
			if p.Ref == "" {
				f.Notes = schemaNotes(p.Value)
				if len(p.Value.Properties) > 0 {
					f.Fields = schemaFields(p.Value, depth+1)
				}
			}
		}
		out = append(out, f)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

var (
	mdCode   = regexp.MustCompile("`([^`]+)`")
	mdStrong = regexp.MustCompile(`\*\*([^*]+)\*\*`)
)

// markdown renders the small subset of CommonMark the document uses:
// paragraphs, fenced code, pipe tables, bullet lists, `code` and **bold**.
// Everything is escaped first, so the output is safe whatever the input.
func markdown(src string) template.HTML {
	src = strings.TrimSpace(src)
	if src == "" {
		return ""
	}
	inline := func(s string) string {
		s = html.EscapeString(s)
		s = mdCode.ReplaceAllString(s, "<code>$1</code>")
		return mdStrong.ReplaceAllString(s, "<strong>$1</strong>")
	}
	var out strings.Builder
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); {
		line := strings.TrimRight(lines[i], " ")
		switch {
		case strings.TrimSpace(line) == "":
			i++
		case strings.HasPrefix(strings.TrimSpace(line), "```"):
			i++
			var code []string
			for i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```") {
				code = append(code, lines[i])
				i++
			}
			i++
			out.WriteString("<pre><code>" + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
		case strings.HasPrefix(line, "|"):
			out.WriteString("<table>\n")
			header := true
			for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
				cells := strings.Split(strings.Trim(strings.TrimSpace(lines[i]), "|"), "|")
				if strings.Trim(strings.Join(cells, ""), " -:") == "" {
					continue
				}
				tag := "td"
				if header {
					tag = "th"
				}
				out.WriteString("<tr>")
				for _, c := range cells {
					out.WriteString("<" + tag + ">" + inline(strings.TrimSpace(c)) + "</" + tag + ">")
				}
				out.WriteString("</tr>\n")
				header = false
			}
			out.WriteString("</table>\n")
		case strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* "):
			out.WriteString("<ul>\n")
			for ; i < len(lines) && (strings.HasPrefix(lines[i], "- ") || strings.HasPrefix(lines[i], "* ")); i++ {
				out.WriteString("<li>" + inline(lines[i][2:]) + "</li>\n")
			}
			out.WriteString("</ul>\n")
		default:
			var para []string
			for ; i < len(lines) && strings.TrimSpace(lines[i]) != "" && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```") &&
				!strings.HasPrefix(lines[i], "|") && !strings.HasPrefix(lines[i], "- "); i++ {
				para = append(para, strings.TrimSpace(lines[i]))
			}
			out.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
		}
	}
	return template.HTML(out.String())
}

var docsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} {{.Version}}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#fff}
main{max-width:1040px;margin:0 auto;padding:24px}
nav{background:#f4f6fa;border:1px solid #dde2ea;border-radius:6px;padding:12px 20px;margin:16px 0}
nav ul{margin:4px 0 8px;padding-left:18px}
h1{margin-bottom:0}h2{border-bottom:2px solid #dde2ea;padding-bottom:4px;margin-top:40px}
h3{margin:0;font-size:17px}h4{margin:16px 0 6px;font-size:14px;text-transform:uppercase;letter-spacing:.04em;color:#4a5468}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f4f6fa;border-radius:3px}
code{padding:1px 4px}pre{padding:10px;overflow:auto}pre code{padding:0}
table{border-collapse:collapse;width:100%;margin:6px 0 10px}
th,td{border:1px solid #dde2ea;padding:5px 8px;text-align:left;vertical-align:top}th{background:#f4f6fa}
.op{border:1px solid #dde2ea;border-radius:6px;padding:14px 18px;margin:18px 0}
.m{display:inline-block;min-width:52px;text-align:center;font-weight:700;font-size:13px;border-radius:4px;padding:2px 6px;margin-right:8px;color:#fff}
.GET{background:#2f6fdb}.POST{background:#1f8a4c}.PUT,.PATCH{background:#b7791f}.DELETE{background:#c53030}
.path{font:600 15px ui-monospace,Menlo,Consolas,monospace}
.req{color:#c53030;font-size:12px}.notes{color:#4a5468;font-size:13px}.nested{margin-left:18px}
.s{font-weight:700}.s2{color:#1f8a4c}.s4{color:#b7791f}.s5{color:#c53030}
a{color:#2f6fdb}
</style>
</head>
<body><main>
<h1>{{.Title}}</h1>
<p>Version {{.Version}} · OpenAPI 3.1 document: <a href="/openapi.json">/openapi.json</a></p>
<p><strong>{{.Summary}}</strong></p>
{{.Intro}}
<p class="notes">Every operation takes an optional <code>X-Request-ID</code> request header and answers with an <code>X-Request-ID</code> header; errors are <code>application/problem+json</code> (<a href="#schema-Problem">Problem</a>).</p>
<h2 id="auth">Authentication</h2>
<table><tr><th>Scheme</th><th>Kind</th><th>Use</th></tr>
{{range .Security}}<tr><td><code>{{.Name}}</code></td><td>{{.Kind}}</td><td>{{.Description}}</td></tr>
{{end}}</table>
<nav><strong>Operations</strong>
{{range .Groups}}<div>{{.Name}}<ul>{{range .Ops}}<li><a href="#op-{{.ID}}"><code>{{.Method}} {{.Path}}</code></a> — {{.Summary}}</li>{{end}}</ul></div>
{{end}}<a href="#schemas">Schemas</a></nav>
{{define "fields"}}<table><tr><th>Name</th><th>Type</th><th>Description</th></tr>
{{range .}}<tr><td><code>{{.Name}}</code>{{if .In}} <span class="notes">({{.In}})</span>{{end}}{{if .Required}} <span class="req">required</span>{{end}}</td>
<td>{{.Type}}{{if .Notes}}<div class="notes">{{.Notes}}</div>{{end}}</td>
<td>{{.Description}}{{if .Fields}}<div class="nested">{{template "fields" .Fields}}</div>{{end}}</td></tr>
{{end}}</table>{{end}}
{{define "media"}}{{range .}}<p><code>{{.Type}}</code>{{if .Schema}}: {{.Schema}}{{end}}</p>
{{if .Fields}}{{template "fields" .Fields}}{{end}}{{if .Example}}<pre><code>{{.Example}}</code></pre>{{end}}{{end}}{{end}}
{{range .Groups}}
<h2 id="tag-{{.Name}}">{{.Name}}</h2>
{{.Description}}
{{range .Ops}}<section class="op" id="op-{{.ID}}">
<h3><span class="m {{.Method}}">{{.Method}}</span><span class="path">{{.Path}}</span></h3>
<p><strong>{{.Summary}}</strong> <a href="#op-{{.ID}}" class="notes">#{{.ID}}</a></p>
{{.Description}}
<p class="notes">Authentication: {{if .Auth}}{{range $i, $a := .Auth}}{{if $i}} or {{end}}<code>{{$a}}</code>{{end}}{{else}}none{{end}}</p>
{{if .Params}}<h4>Parameters</h4>{{template "fields" .Params}}{{end}}
{{with .Body}}<h4>Request body{{if .Required}} <span class="req">required</span>{{end}}</h4>{{template "media" .Media}}{{end}}
<h4>Responses</h4>
{{range .Responses}}<div><p><span class="s s{{printf "%.1s" .Status}}">{{.Status}}</span></p>{{.Description}}
{{if .Headers}}<p class="notes">Headers</p>{{template "fields" .Headers}}{{end}}
{{template "media" .Media}}</div>
{{end}}</section>
{{end}}{{end}}
<h2 id="schemas">Schemas</h2>
{{range .Schemas}}<section class="op" id="schema-{{.Name}}">
<h3>{{.Name}}</h3>
<p>{{.Type}}{{if .Notes}} <span class="notes">{{.Notes}}</span>{{end}}</p>
{{.Description}}
{{if .Fields}}{{template "fields" .Fields}}{{end}}
</section>
{{end}}
</main></body>
</html>
`))
