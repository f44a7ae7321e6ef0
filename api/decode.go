package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"jixiao"
)

// readBody reads the request body, refusing other content types than
// want and bodies over the limit.
func readBody(c *gin.Context, want ...string) ([]byte, error) {
	ct := c.GetHeader("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || !contains(want, mt) {
		return nil, jixiao.Errorf(jixiao.EUNSUPPORTED, "Content-Type 须为 %s，收到 %q", want[0], ct)
	}
	data, err := io.ReadAll(c.Request.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, jixiao.Errorf(jixiao.ETOOLARGE, "请求内容超过 %d 字节的上限", tooBig.Limit)
	} else if err != nil {
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "无法读取请求内容：%v", err)
	}
	return data, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// decodeJSON decodes a JSON request body strictly into v.
func decodeJSON(c *gin.Context, v any) error {
	data, err := readBody(c, "application/json")
	if err != nil {
		return err
	}
	return decodeStrict(data, v)
}

// decodeStrict decodes one JSON document into v: unknown names, names in
// another case than the field's and repeated names are errors, and so is
// data after the document.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(data, err)
	}
	if dec.More() {
		return jixiao.Errorf(jixiao.EMALFORMED, "JSON 文档之后还有多余的内容")
	}
	return checkNames(data, reflect.TypeOf(v))
}

// checkNames reports the first member of the JSON document data whose
// name is not exactly the name of a field of t, or that repeats a name.
// encoding/json alone matches names regardless of case, so that "Year"
// sets year, and lets a repeated name silently replace the value before
// it. Values whose type decodes itself are left to it. data must be
// valid JSON.
func checkNames(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	return checkValue(dec, t, "")
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

func checkValue(dec *json.Decoder, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !namesMatter(t) {
		var skip json.RawMessage
		return dec.Decode(&skip)
	}
	tok, err := dec.Token()
	if err != nil {
		return jixiao.Errorf(jixiao.EMALFORMED, "JSON 格式错误：%v", err)
	}
	switch tok {
	case json.Delim('{'):
		fields := map[string]reflect.Type{}
		if t.Kind() == reflect.Struct {
			jsonFields(t, fields)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return jixiao.Errorf(jixiao.EMALFORMED, "JSON 格式错误：%v", err)
			}
			name, _ := tok.(string)
			ft, known := fields[name]
			switch {
			case !known:
				return fieldError("未知字段", path+name)
			case seen[name]:
				return fieldError("字段重复", path+name)
			}
			seen[name] = true
			if err := checkValue(dec, ft, path+name+"."); err != nil {
				return err
			}
		}
	case json.Delim('['):
		elem := reflect.TypeFor[json.RawMessage]() // the decoder refused anything else already
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := checkValue(dec, elem, fmt.Sprintf("%s[%d].", strings.TrimSuffix(path, "."), i)); err != nil {
				return err
			}
		}
	default:
		return nil // null, or a scalar the decoder has taken already
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// namesMatter reports whether a value of type t may hold objects whose
// member names checkValue checks.
func namesMatter(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		return true
	case reflect.Slice, reflect.Array:
		e := t.Elem()
		for e.Kind() == reflect.Pointer {
			e = e.Elem()
		}
		return namesMatter(e)
	}
	return false
}

// jsonFields adds the JSON names of the fields of struct t, and of the
// structs it embeds, with their types.
func jsonFields(t reflect.Type, out map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || (!f.IsExported() && !f.Anonymous):
			continue
		case f.Anonymous && name == "":
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				jsonFields(ft, out)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
}

func fieldError(problem, field string) error {
	e := jixiao.Errorf(jixiao.EMALFORMED, "%s %q", problem, field)
	e.Details = []jixiao.FieldError{{Field: field, Message: problem}}
	return e
}

// jsonError explains a decoding error with the field it concerns.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return jixiao.Errorf(jixiao.EMALFORMED, "JSON 格式错误（第 %d 行）：%v", line, syn)
	case errors.As(err, &typ):
		msg := fmt.Sprintf("须为%s，收到%s", jixiao.JSONTypeName(typ.Type), jixiao.JSONValueName(typ.Value))
		if typ.Field == "" {
			return jixiao.Errorf(jixiao.EMALFORMED, "请求内容%s", msg)
		}
		e := jixiao.Errorf(jixiao.EMALFORMED, "字段 %s %s", typ.Field, msg)
		e.Details = []jixiao.FieldError{{Field: typ.Field, Message: msg}}
		return e
	case errors.Is(err, io.EOF):
		return jixiao.Errorf(jixiao.EMALFORMED, "请求内容为空")
	}
	msg := err.Error()
	if name, ok := cutPrefix(msg, "json: unknown field "); ok {
		e := jixiao.Errorf(jixiao.EMALFORMED, "未知字段 %s", name)
		e.Details = []jixiao.FieldError{{Field: trimQuotes(name), Message: "未知字段"}}
		return e
	}
	return jixiao.Errorf(jixiao.EMALFORMED, "JSON 格式错误：%v", err)
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

func trimQuotes(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// page reads ?page= and ?per_page= (1-based, at most 1000 a page).
type page struct{ Page, PerPage int }

func readPage(c *gin.Context) (page, error) {
	p := page{Page: 1, PerPage: 50}
	var bad []jixiao.FieldError
	for _, q := range []struct {
		name string
		dst  *int
	}{{"page", &p.Page}, {"per_page", &p.PerPage}} {
		v := c.Query(q.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 1:
			bad = append(bad, jixiao.FieldError{Field: q.name, Message: fmt.Sprintf("must be a whole number ≥ 1, got %q", v)})
		case q.name == "per_page" && n > 1000:
			bad = append(bad, jixiao.FieldError{Field: q.name, Message: fmt.Sprintf("must be at most 1000, got %d", n)})
		default:
			*q.dst = n
		}
	}
	if len(bad) == 0 && p.Page-1 > math.MaxInt64/p.PerPage {
		bad = append(bad, jixiao.FieldError{Field: "page", Message: fmt.Sprintf("is too large for %d a page", p.PerPage)})
	}
	if len(bad) > 0 {
		msgs := make([]string, len(bad))
		for i, b := range bad {
			msgs[i] = b.Field + ": " + b.Message
		}
		e := jixiao.Errorf(jixiao.EINVALID, "%s", strings.Join(msgs, "; "))
		e.Details = bad
		return p, e
	}
	return p, nil
}

func (p page) offset() int { return (p.Page - 1) * p.PerPage }

// listResponse is the shape of every paginated list.
type listResponse[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

func newList[T any](items []T, total int, p page) listResponse[T] {
	if items == nil {
		items = []T{}
	}
	return listResponse[T]{Items: items, Total: total, Page: p.Page, PerPage: p.PerPage}
}

func invalidField(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	e := jixiao.Errorf(jixiao.EINVALID, "%s: %s", field, msg)
	e.Details = []jixiao.FieldError{{Field: field, Message: msg}}
	return e
}

func queryInt(c *gin.Context, name string) (int, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, invalidField(name, "must be a whole number, got %q", v)
	}
	return n, nil
}

// items answers a whole list as {"items": [...]}, an empty list as [],
// or err.
func items[T any](s *Server, c *gin.Context, list []T, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	if list == nil {
		list = []T{}
	}
	c.JSON(http.StatusOK, gin.H{"items": list})
}

// pathYear is the route's :year, or a 404 problem.
func (s *Server) pathYear(c *gin.Context) (int, bool) {
	year, err := strconv.Atoi(c.Param("year"))
	if err != nil {
		s.fail(c, jixiao.Errorf(jixiao.ENOTFOUND, "no year %q", c.Param("year")))
		return 0, false
	}
	return year, true
}

func pathInt64(c *gin.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n < 1 {
		return 0, jixiao.Errorf(jixiao.ENOTFOUND, "no %s %q", name, c.Param(name))
	}
	return n, nil
}

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }
