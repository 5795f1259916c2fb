package docsite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// openAPI is the part of an OpenAPI 3 document the reference renders.
type openAPI struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	} `json:"info"`
	Paths      map[string]map[string]*operation `json:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			Description string `json:"description"`
		} `json:"securitySchemes"`
		Responses map[string]*response `json:"responses"`
		Schemas   map[string]*schema   `json:"schemas"`
	} `json:"components"`
}

type operation struct {
	Summary     string                `json:"summary"`
	Description string                `json:"description"`
	Tags        []string              `json:"tags"`
	Security    []map[string][]string `json:"security"`
	Parameters  []struct {
		Name        string  `json:"name"`
		In          string  `json:"in"`
		Required    bool    `json:"required"`
		Description string  `json:"description"`
		Schema      *schema `json:"schema"`
	} `json:"parameters"`
	RequestBody *struct {
		Required bool                  `json:"required"`
		Content  map[string]*mediaType `json:"content"`
	} `json:"requestBody"`
	Responses map[string]*response `json:"responses"`
}

type response struct {
	Ref         string                `json:"$ref"`
	Description string                `json:"description"`
	Content     map[string]*mediaType `json:"content"`
}

type mediaType struct {
	Schema  *schema         `json:"schema"`
	Example json.RawMessage `json:"example"`
}

type schema struct {
	Ref                  string             `json:"$ref"`
	Type                 string             `json:"type"`
	Format               string             `json:"format"`
	Description          string             `json:"description"`
	Enum                 []any              `json:"enum"`
	Default              any                `json:"default"`
	Required             []string           `json:"required"`
	Properties           map[string]*schema `json:"properties"`
	AdditionalProperties any                `json:"additionalProperties"`
	Items                *schema            `json:"items"`
	OneOf                []*schema          `json:"oneOf"`
	Minimum              *float64           `json:"minimum"`
	Maximum              *float64           `json:"maximum"`
	MinItems             *int               `json:"minItems"`
	MaxItems             *int               `json:"maxItems"`
	MaxLength            *int               `json:"maxLength"`
	Example              json.RawMessage    `json:"example"`
}

// endpoint is one documented endpoint: an OpenAPI operation at its main
// path with the route's facts.
type endpoint struct {
	method, path string
	op           *operation
	route        *RouteInfo // nil for paths the route table does not list (GET /)
}

// APIMarkdown renders the API reference (docs/api.md) from the OpenAPI
// document, the server's route table and its default limits. Every
// operation of the document appears once, at its main path, with its
// aliases; a route the document lacks, or an operation that is no route,
// is an error (TestOpenAPIMatchesRoutes in server/api keeps them in step).
// codes, when given, links each error code to docs/errors.md; a code the
// document names that is not in it is an error.
func APIMarkdown(doc []byte, routes []RouteInfo, lim Limits, codes *CodeRegistry) ([]byte, error) {
	var d openAPI
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is not valid JSON: %w", err)
	}
	known := map[string]bool{}
	if codes != nil {
		for _, c := range codes.Codes {
			known[c.Code] = true
		}
	}
	alias := map[string]bool{} // "METHOD path" of aliases
	byKey := map[string]*RouteInfo{}
	for i := range routes {
		r := &routes[i]
		byKey[r.Method+" "+r.Path] = r
		for _, a := range r.Aliases {
			alias[r.Method+" "+a] = true
		}
	}
	var eps []endpoint
	seen := map[string]bool{}
	for p, ops := range d.Paths {
		for m, op := range ops {
			key := strings.ToUpper(m) + " " + p
			if alias[key] {
				seen[key] = true
				continue
			}
			r := byKey[key]
			if r == nil && key != "GET /" {
				return nil, fmt.Errorf("the OpenAPI document describes %s, which the server does not register", key)
			}
			seen[key] = true
			eps = append(eps, endpoint{method: strings.ToUpper(m), path: p, op: op, route: r})
		}
	}
	for _, r := range routes {
		for _, p := range append([]string{r.Path}, r.Aliases...) {
			if !seen[r.Method+" "+p] {
				return nil, fmt.Errorf("route %s %s is missing from the OpenAPI document", r.Method, p)
			}
		}
	}
	// The route table's order (the server's grouping), GET / first.
	rank := map[string]int{"GET /": -1}
	for i, r := range routes {
		rank[r.Method+" "+r.Path] = i
	}
	sort.Slice(eps, func(i, j int) bool {
		return rank[eps[i].method+" "+eps[i].path] < rank[eps[j].method+" "+eps[j].path]
	})

	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# API reference\n\n")
	w("<!-- Generated by internal/docsite from server/api/openapi.json and the server's route table; do not edit. Regenerate with `make docs`. -->\n\n")
	w("This reference is generated from the OpenAPI document the server serves at\n")
	w("`GET /api/v1/openapi.json` ([server/api/openapi.json](../server/api/openapi.json)), and from the\n")
	w("server's own route table (permissions, rate-limit classes) and default limits. `make docs`\n")
	w("regenerates it, and `TestGeneratedDocs` in `internal/docsite` fails when it is stale.\n\n")
	w("%s\n\n", oneLine(d.Info.Description))

	w("## Conventions\n\n")
	w("- **Base URL:** the server's address, such as `http://127.0.0.1:8080` (`ebios serve`,\n")
	w("  [deployment](deployment.md)). Paths under `/api/v1` are the API; the original eBIOS paths\n")
	w("  (`/operations/execute`, `/auth/login`, ...) are aliases of the same endpoints.\n")
	w("- **Authentication:** `Authorization: Bearer <access token>`. %s An endpoint's\n", oneLine(d.Components.SecuritySchemes["bearer"].Description))
	w("  permission is held by the roles listed with it ([permissions](#permissions)).\n")
	w("- **Errors:** every error answer is `{\"error\": {\"code\", \"category\", \"message\", \"details\",\n")
	w("  \"remediation\"}}`; the code says what happened ([error codes](errors.md)). Each endpoint\n")
	w("  lists the codes its description names and those every endpoint of its kind can answer:\n")
	w("  with a permission %s (401) and %s (403); with a rate limit %s (429, `Retry-After`);\n",
		codeLinks([]string{"AUTH_001", "AUTH_002", "AUTH_003", "AUTH_004", "AUTH_005", "AUTH_006", "AUTH_009"}, known),
		codeLinks([]string{"AUTH_007"}, known), codeLinks([]string{"RATE_001"}, known))
	w("  with a JSON body %s; and %s (500, details in the server log) anywhere.\n",
		codeLinks([]string{"API_004", "API_005"}, known), codeLinks([]string{"API_011"}, known))
	w("- **Examples:** `$EBIOS` is the base URL and `$TOKEN` an access token (from\n")
	w("  [`POST /api/v1/auth/login`](#post-apiv1authlogin)). Capitals in a path are placeholders,\n")
	w("  and so are `\"…\"` and `0` in a body made from its schema.\n\n")

	w("## Permissions\n\n")
	w("| permission | roles | endpoints |\n|---|---|---|\n")
	perms := map[string][]string{}
	roles := map[string][]string{}
	var permOrder []string
	for _, r := range routes {
		if r.Permission == "" {
			continue
		}
		if _, ok := perms[r.Permission]; !ok {
			permOrder = append(permOrder, r.Permission)
		}
		perms[r.Permission] = append(perms[r.Permission], "`"+r.Method+" "+r.Path+"`")
		roles[r.Permission] = r.Roles
	}
	for _, p := range permOrder {
		w("| `%s` | %s | %s |\n", p, strings.Join(roles[p], ", "), strings.Join(perms[p], ", "))
	}
	w("\nEndpoints without a permission are public. The roles are fixed (`auth.Matrix`); an admin\n")
	w("gives users their role (`PATCH /api/v1/users/{name}`, `ebios user set-role`).\n\n")

	w("## Rate limits\n\n")
	w("Each client (its address; `X-Forwarded-For` only from `trusted_proxies`) has a token bucket\n")
	w("per class. Limited answers carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and\n")
	w("`X-RateLimit-Reset`; a refused request gets 429 %s with `Retry-After`. The defaults, set\n", codeLinks([]string{"RATE_001"}, known))
	w("by `rate_limit_<class>` ([configuration](config.md)):\n\n")
	w("| class | default | endpoints |\n|---|---|---|\n")
	classEps := map[string][]string{}
	for _, r := range routes {
		c := r.Class
		if isCost(c) {
			c = "heavy"
		}
		if c != "" {
			classEps[c] = append(classEps[c], "`"+r.Method+" "+r.Path+"`")
		}
	}
	var classes []string
	for c := range lim.Rules {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool { return classRank(classes[i]) < classRank(classes[j]) })
	for _, c := range classes {
		w("| `%s` | %s | %s |\n", c, lim.Rules[c], strings.Join(classEps[c], ", "))
	}
	w("\nThe heavy routes, whose work grows with the log, pay a price in tokens of the `heavy`\n")
	w("bucket before they run and %d tokens per second of their run time after (`rate_limit_cost_per_second`),\n", lim.CostPerSecond)
	w("and a client may have %d of them running at once (`rate_limit_heavy_concurrency`); their\n", lim.Concurrency)
	w("answers carry `X-RateLimit-Cost`. Prices (`rate_limit_cost_<name>`):\n\n")
	w("| price | tokens | endpoints |\n|---|---|---|\n")
	var costNames []string
	for n := range lim.Costs {
		costNames = append(costNames, n)
	}
	sort.Strings(costNames)
	for _, n := range costNames {
		var es []string
		for _, r := range routes {
			if r.Class == n {
				es = append(es, "`"+r.Method+" "+r.Path+"`")
			}
		}
		w("| `%s` | %d | %s |\n", n, lim.Costs[n], strings.Join(es, ", "))
	}
	w("\nClients in `rate_limit_allowlist` are not limited; `rate_limit_enabled = false` turns limits off.\n")
	w("Endpoints with no class are not limited.\n\n")

	w("## Endpoints\n\n")
	w("| method | path | summary |\n|---|---|---|\n")
	for _, e := range eps {
		w("| %s | [`%s`](#%s) | %s |\n", e.method, e.path, Slug(e.method+" "+e.path), cell(e.op.Summary))
	}
	w("\n")

	var tagOrder []string
	byTag := map[string][]endpoint{}
	for _, e := range eps {
		t := "other"
		if len(e.op.Tags) > 0 {
			t = e.op.Tags[0]
		}
		if _, ok := byTag[t]; !ok {
			tagOrder = append(tagOrder, t)
		}
		byTag[t] = append(byTag[t], e)
	}
	for _, t := range tagOrder {
		w("## Endpoints: %s\n\n", t)
		for _, e := range byTag[t] {
			if err := writeEndpoint(&b, &d, e, lim, known); err != nil {
				return nil, err
			}
		}
	}

	w("## Schemas\n\n")
	w("The objects the endpoints above refer to. A body is read strictly: exactly the members\n")
	w("listed, each at most once, every required one present and not null.\n\n")
	var names []string
	for n := range d.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := d.Components.Schemas[n]
		w("### %s\n\n", n)
		if s.Description != "" {
			w("%s\n\n", oneLine(s.Description))
		}
		writeFields(&b, &d, s)
		if len(s.Example) > 0 {
			w("Example:\n\n```json\n%s\n```\n\n", indentJSON(s.Example))
		}
	}
	if codes != nil {
		for _, m := range codeInText.FindAllString(string(doc), -1) {
			if !known[m] {
				return nil, fmt.Errorf("the OpenAPI document names the error code %s, which the code does not define", m)
			}
		}
	}
	return b.Bytes(), nil
}

// classRank orders the rate-limit classes as ratelimit.Classes does.
func classRank(c string) int {
	order := []string{"execute", "read", "auth", "admin", "heavy"}
	if i := slices.Index(order, c); i >= 0 {
		return i
	}
	return len(order)
}

// codeInText finds error codes in prose.
var codeInText = regexp.MustCompile(`\b[A-Z]+_[0-9]{3}\b`)

// codeLinks links each code to its section of docs/errors.md.
func codeLinks(cs []string, known map[string]bool) string {
	var out []string
	for _, c := range cs {
		if known[c] {
			out = append(out, fmt.Sprintf("[%s](errors.md#%s)", c, Slug(c)))
		} else {
			out = append(out, c)
		}
	}
	return strings.Join(out, ", ")
}

func writeEndpoint(b *bytes.Buffer, d *openAPI, e endpoint, lim Limits, known map[string]bool) error {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	op := e.op
	w("### %s %s\n\n", e.method, e.path)
	w("%s\n\n", oneLine(op.Summary))
	r := e.route
	if r != nil && len(r.Aliases) > 0 {
		var as []string
		for _, a := range r.Aliases {
			as = append(as, "`"+e.method+" "+a+"`")
		}
		w("- **Also at:** %s\n", strings.Join(as, ", "))
	}
	switch {
	case r != nil && r.Permission != "":
		w("- **Auth:** bearer token with permission `%s` (roles: %s)\n", r.Permission, strings.Join(r.Roles, ", "))
	case len(op.Security) > 0:
		w("- **Auth:** bearer token\n")
	default:
		w("- **Auth:** none (public)\n")
	}
	switch {
	case r == nil || r.Class == "":
		w("- **Rate limit:** none\n")
	case isCost(r.Class):
		w("- **Rate limit:** heavy: %d tokens of the `heavy` bucket (%s) before it runs, plus %d a second of its run time (`rate_limit_cost_%s`)\n",
			lim.Costs[r.Class], lim.Rules["heavy"], lim.CostPerSecond, r.Class)
	default:
		w("- **Rate limit:** class `%s` (default %s per client)\n", r.Class, lim.Rules[r.Class])
	}
	w("\n")
	if op.Description != "" {
		w("%s\n\n", strings.TrimSpace(op.Description))
	}
	if len(op.Parameters) > 0 {
		w("**Parameters**\n\n| name | in | required | type | description |\n|---|---|---|---|---|\n")
		for _, p := range op.Parameters {
			w("| `%s` | %s | %s | %s | %s |\n", p.Name, p.In, yesNo(p.Required), typeOf(p.Schema), cell(p.Description))
		}
		w("\n")
	}
	if rb := op.RequestBody; rb != nil {
		for _, ct := range sortedKeys(rb.Content) {
			mt := rb.Content[ct]
			w("**Request body** (`%s`%s)\n\n", ct, map[bool]string{true: ", required", false: ""}[rb.Required])
			s := mt.Schema
			if s != nil && s.Ref != "" {
				w("A [%s](#%s).\n\n", refName(s.Ref), Slug(refName(s.Ref)))
			} else if s != nil {
				writeFields(b, d, s)
			}
			ex := mt.Example
			if len(ex) == 0 && s != nil {
				ex = resolve(d, s).Example
			}
			if len(ex) > 0 {
				w("Example:\n\n```json\n%s\n```\n\n", indentJSON(ex))
			}
		}
	}
	w("**Example request**\n\n```sh\n%s\n```\n\n", exampleCurl(d, e))
	w("**Responses**\n\n| status | meaning | body |\n|---|---|---|\n")
	for _, st := range sortedKeys(op.Responses) {
		resp := op.Responses[st]
		desc := resp.Description
		body := ""
		if resp.Ref != "" {
			rr := d.Components.Responses[refName(resp.Ref)]
			if rr == nil {
				return fmt.Errorf("%s %s: response %s refers to %s, which the document does not define", e.method, e.path, st, resp.Ref)
			}
			resp = rr
			if desc == "" {
				desc = rr.Description
			}
		}
		for _, ct := range sortedKeys(resp.Content) {
			if s := resp.Content[ct].Schema; s != nil {
				body = typeOf(s)
				if ct != "application/json" {
					body += " (`" + ct + "`)"
				}
			} else {
				body = "`" + ct + "`"
			}
		}
		w("| %s | %s | %s |\n", st, cell(desc), body)
	}
	w("\n")
	var errs []string
	text := op.Description + " " + op.Summary
	for _, resp := range op.Responses {
		text += " " + resp.Description
	}
	for _, c := range codeInText.FindAllString(text, -1) {
		if !slices.Contains(errs, c) {
			errs = append(errs, c)
		}
	}
	var generic []string
	if r != nil && r.Permission != "" {
		generic = append(generic, "AUTH_001", "AUTH_002", "AUTH_003", "AUTH_004", "AUTH_005", "AUTH_006", "AUTH_007", "AUTH_009")
	}
	if r != nil && r.Class != "" {
		generic = append(generic, "RATE_001")
	}
	if op.RequestBody != nil {
		generic = append(generic, "API_004", "API_005")
	}
	generic = append(generic, "API_011")
	sort.Slice(errs, func(i, j int) bool { return codeLess(errs[i], errs[j]) })
	if len(errs) > 0 {
		w("**Errors named here:** %s. ", codeLinks(errs, known))
	}
	var rest []string
	for _, c := range generic {
		if !slices.Contains(errs, c) {
			rest = append(rest, c)
		}
	}
	w("**Errors of every such endpoint:** %s.\n\n", codeLinks(rest, known))
	return nil
}

// pathParamRE matches a path parameter: {name} or {name...}.
var pathParamRE = regexp.MustCompile(`\{([A-Za-z_]+)(\.\.\.)?\}`)

// exampleCurl is a curl command for an endpoint: the path with its
// parameters in capitals, the required query parameters, the token when
// one is needed, and a body made from the request's example or schema.
func exampleCurl(d *openAPI, e endpoint) string {
	p := pathParamRE.ReplaceAllStringFunc(e.path, func(m string) string {
		return strings.ToUpper(pathParamRE.FindStringSubmatch(m)[1])
	})
	var q []string
	for _, par := range e.op.Parameters {
		if par.In == "query" && par.Required {
			q = append(q, par.Name+"="+strings.ToUpper(par.Name))
		}
	}
	if len(q) > 0 {
		p += "?" + strings.Join(q, "&")
	}
	cmd := "curl"
	if e.method != "GET" {
		cmd += " -X " + e.method
	}
	cmd += ` "$EBIOS` + p + `"`
	if (e.route != nil && e.route.Permission != "") || len(e.op.Security) > 0 {
		cmd += ` -H "Authorization: Bearer $TOKEN"`
	}
	if rb := e.op.RequestBody; rb != nil {
		if mt := rb.Content["application/json"]; mt != nil {
			ex := mt.Example
			if len(ex) == 0 && mt.Schema != nil {
				ex = resolve(d, mt.Schema).Example
			}
			var body []byte
			if len(ex) > 0 {
				var v any
				if json.Unmarshal(ex, &v) == nil {
					body, _ = json.Marshal(v)
				}
			} else if mt.Schema != nil {
				body, _ = json.Marshal(sampleValue(d, mt.Schema, 0))
			}
			cmd += " \\\n  -H 'Content-Type: application/json' -d '" + string(body) + "'"
		}
	}
	return cmd
}

// sampleValue is a placeholder value of a schema: an enum's first value,
// the default, or by type "…", 0, false, one array item, and an object's
// required members (or, when none is required, its first member).
func sampleValue(d *openAPI, s *schema, depth int) any {
	s = resolve(d, s)
	var ex any
	switch {
	case s == nil || depth > 4:
		return nil
	case len(s.Example) > 0 && json.Unmarshal(s.Example, &ex) == nil:
		return ex
	case len(s.OneOf) > 0:
		return sampleValue(d, s.OneOf[0], depth+1)
	case len(s.Enum) > 0:
		return s.Enum[0]
	case s.Default != nil:
		return s.Default
	}
	switch s.Type {
	case "string":
		return "…"
	case "number", "integer":
		return 0
	case "boolean":
		return false
	case "array":
		if s.Items == nil {
			return []any{}
		}
		n := 1
		if s.MinItems != nil && *s.MinItems > 1 {
			n = *s.MinItems
		}
		out := make([]any, n)
		for i := range out {
			out[i] = sampleValue(d, s.Items, depth+1)
		}
		return out
	case "object":
		m := map[string]any{}
		names := s.Required
		if len(names) == 0 && len(s.Properties) > 0 {
			names = sortedKeys(s.Properties)[:1]
		}
		for _, n := range names {
			if p := s.Properties[n]; p != nil {
				m[n] = sampleValue(d, p, depth+1)
			}
		}
		return m
	}
	return nil
}

// writeFields writes the members of an object schema as a table, nested
// objects as dotted paths; a $ref to a component links its section.
func writeFields(b *bytes.Buffer, d *openAPI, s *schema) {
	s = resolve(d, s)
	if s.Type != "object" || len(s.Properties) == 0 {
		fmt.Fprintf(b, "Type: %s.\n\n", typeOf(s))
		return
	}
	b.WriteString("| member | type | required | description |\n|---|---|---|---|\n")
	var rows func(prefix string, s *schema, depth int)
	rows = func(prefix string, s *schema, depth int) {
		for _, name := range sortedKeys(s.Properties) {
			p := s.Properties[name]
			fmt.Fprintf(b, "| `%s%s` | %s | %s | %s |\n", prefix, name, typeOf(p), yesNo(slices.Contains(s.Required, name)), cell(describe(p)))
			if p.Ref == "" && p.Type == "object" && len(p.Properties) > 0 && depth < 3 {
				rows(prefix+name+".", p, depth+1)
			}
			if p.Type == "array" && p.Items != nil && p.Items.Ref == "" && p.Items.Type == "object" && len(p.Items.Properties) > 0 && depth < 3 {
				rows(prefix+name+"[].", p.Items, depth+1)
			}
		}
	}
	rows("", s, 0)
	b.WriteString("\n")
}

// describe is a member's description with its constraints.
func describe(s *schema) string {
	var parts []string
	if s.Description != "" {
		parts = append(parts, s.Description)
	}
	if s.Default != nil {
		parts = append(parts, fmt.Sprintf("default `%v`", s.Default))
	}
	if s.Minimum != nil {
		parts = append(parts, fmt.Sprintf("at least %v", *s.Minimum))
	}
	if s.Maximum != nil {
		parts = append(parts, fmt.Sprintf("at most %v", *s.Maximum))
	}
	if s.MaxLength != nil {
		parts = append(parts, fmt.Sprintf("at most %d characters", *s.MaxLength))
	}
	return strings.Join(parts, "; ")
}

// resolve follows a $ref to a component schema.
func resolve(d *openAPI, s *schema) *schema {
	for s != nil && s.Ref != "" {
		t := d.Components.Schemas[refName(s.Ref)]
		if t == nil {
			return s
		}
		s = t
	}
	return s
}

func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

// typeOf writes a schema's type for a table cell.
func typeOf(s *schema) string {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		n := refName(s.Ref)
		return fmt.Sprintf("[%s](#%s)", n, Slug(n))
	}
	if len(s.OneOf) > 0 {
		var ts []string
		for _, o := range s.OneOf {
			ts = append(ts, typeOf(o))
		}
		return strings.Join(ts, " or ")
	}
	if len(s.Enum) > 0 {
		var vs []string
		for _, v := range s.Enum {
			j, _ := json.Marshal(v)
			vs = append(vs, "`"+string(j)+"`")
		}
		return "one of " + strings.Join(vs, ", ")
	}
	t := s.Type
	switch t {
	case "array":
		n := ""
		if s.MinItems != nil && s.MaxItems != nil && *s.MinItems == *s.MaxItems {
			n = fmt.Sprintf(" %d", *s.MinItems)
		}
		return "array of" + n + " " + typeOf(s.Items)
	case "":
		t = "any"
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	return t
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// cell makes text fit a table cell: one line, pipes escaped.
func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", `\|`) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func indentJSON(raw json.RawMessage) string {
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return string(raw)
	}
	return out.String()
}
