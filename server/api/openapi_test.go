package api

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes: the OpenAPI document describes exactly the
// registered routes (paths, aliases and methods), each with a summary,
// responses and the right security.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	e := newEnv(t)
	want := map[string]Route{"GET /": {Method: "GET", Path: "/"}}
	for _, r := range e.srv.Routes() {
		for _, p := range append([]string{r.Path}, r.Aliases...) {
			want[r.Method+" "+p] = r
		}
	}
	got := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			key := strings.ToUpper(method) + " " + path
			got[key] = true
			r, ok := want[key]
			if !ok {
				t.Errorf("openapi.json documents %s, which is not a route", key)
				continue
			}
			var o struct {
				Summary   string                     `json:"summary"`
				Responses map[string]json.RawMessage `json:"responses"`
				Security  []map[string][]string      `json:"security"`
			}
			json.Unmarshal(raw, &o)
			if o.Summary == "" || len(o.Responses) == 0 {
				t.Errorf("%s: no summary or responses", key)
			}
			if (len(o.Security) > 0) != (r.Perm != "") {
				t.Errorf("%s: security %v but permission %q", key, o.Security, r.Perm)
			}
		}
	}
	for key := range want {
		if !got[key] {
			t.Errorf("route %s is missing from openapi.json", key)
		}
	}
	// Served as is.
	r := e.do("GET", "/api/v1/openapi.json", "", nil)
	if r.code != 200 || !json.Valid(r.body) {
		t.Fatalf("served openapi: %d", r.code)
	}
}

// TestOpenAPIRequestBodies: every documented request body is the schema of
// the struct its handler reads, as the strict reader reads it: the same
// members, additionalProperties false, and a required list that names
// exactly the members core/strictjson requires (a field without omitempty
// or omitzero that is not a pointer).
func TestOpenAPIRequestBodies(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	resolve := func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			return schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		}
		return s
	}
	bodies := map[string]reflect.Type{}
	for _, b := range []struct {
		keys []string
		typ  reflect.Type
	}{
		{[]string{"POST /api/v1/operations/execute", "POST /operations/execute"}, reflect.TypeFor[OpRequest]()},
		{[]string{"POST /api/v1/operations/batch", "POST /operations/batch"}, reflect.TypeFor[batchRequest]()},
		{[]string{"POST /api/v1/auth/login", "POST /auth/login"}, reflect.TypeFor[loginRequest]()},
		{[]string{"POST /api/v1/auth/refresh", "POST /auth/refresh"}, reflect.TypeFor[refreshRequest]()},
		{[]string{"POST /api/v1/auth/setup"}, reflect.TypeFor[setupRequest]()},
		{[]string{"POST /api/v1/users"}, reflect.TypeFor[addUserRequest]()},
		{[]string{"PATCH /api/v1/users/{name}"}, reflect.TypeFor[patchUserRequest]()},
		{[]string{"POST /api/v1/users/{name}/password"}, reflect.TypeFor[passwordRequest]()},
		{[]string{"POST /api/v1/policies/activate", "POST /policies/activate"}, reflect.TypeFor[activateRequest]()},
		{[]string{"POST /api/v1/admin/backup"}, reflect.TypeFor[backupRequest]()},
	} {
		for _, k := range b.keys {
			bodies[k] = b.typ
		}
	}
	checkObject := func(where string, schema map[string]any, typ reflect.Type) {
		if schema["type"] != "object" || schema["additionalProperties"] != false {
			t.Errorf("%s: schema is not an object with additionalProperties false", where)
		}
		var props []string
		for k := range schema["properties"].(map[string]any) {
			props = append(props, k)
		}
		var required []string
		for _, r := range schema["required"].([]any) {
			required = append(required, r.(string))
		}
		fields, want := strictFields(typ)
		slices.Sort(props)
		slices.Sort(required)
		if !slices.Equal(props, fields) {
			t.Errorf("%s: properties %v, but %v has the members %v", where, props, typ, fields)
		}
		if !slices.Equal(required, want) {
			t.Errorf("%s: required %v, but the strict reader of %v requires %v", where, required, typ, want)
		}
	}
	seen := map[string]bool{}
	for path, ops := range doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			rb, ok := op.(map[string]any)["requestBody"].(map[string]any)
			if !ok {
				continue
			}
			key := strings.ToUpper(method) + " " + path
			seen[key] = true
			typ, ok := bodies[key]
			if !ok {
				t.Errorf("%s documents a request body; add its struct to this test", key)
				continue
			}
			schema := resolve(rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any))
			if _, ok := schema["required"]; !ok {
				schema["required"] = []any{}
			}
			checkObject(key, schema, typ)
			if typ == reflect.TypeFor[batchRequest]() {
				items := resolve(schema["properties"].(map[string]any)["operations"].(map[string]any)["items"].(map[string]any))
				checkObject(key+" operations[]", items, reflect.TypeFor[OpRequest]())
			}
		}
	}
	for key := range bodies {
		if !seen[key] {
			t.Errorf("%s: no request body in openapi.json", key)
		}
	}
	// An input object is read like a value: exactly n and u (nu.UnmarshalNU).
	value := schemas["Value"].(map[string]any)
	if value["additionalProperties"] != false || !reflect.DeepEqual(value["required"], []any{"n", "u"}) {
		t.Errorf("Value schema: required %v, additionalProperties %v; want [n u], false", value["required"], value["additionalProperties"])
	}
}

// strictFields returns the member names of a struct type and those the
// strict reader requires, both sorted.
func strictFields(t reflect.Type) (names, required []string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
		optional := f.Type.Kind() == reflect.Pointer
		for _, o := range strings.Split(opts, ",") {
			optional = optional || o == "omitempty" || o == "omitzero"
		}
		if !optional {
			required = append(required, name)
		}
	}
	slices.Sort(names)
	slices.Sort(required)
	return names, required
}
