package jixiao

import (
	"reflect"
	"strings"
)

// JSONTypeName names what a Go type takes in JSON terms, for messages.
func JSONTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "文本（字符串）"
	case reflect.Bool:
		return " true 或 false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "整数"
	case reflect.Float32, reflect.Float64:
		return "数字"
	case reflect.Slice, reflect.Array:
		return "数组"
	case reflect.Struct, reflect.Map:
		return "对象"
	}
	return "其他 JSON 值"
}

// JSONValueName names, in Chinese, what encoding/json says it found: "string",
// "number", or "number 2024.5".
func JSONValueName(v string) string {
	kind, rest, _ := strings.Cut(v, " ")
	names := map[string]string{"string": "文本", "number": "数字", "bool": "true/false", "array": "数组", "object": "对象"}
	if n, ok := names[kind]; ok {
		kind = n
	}
	if rest != "" {
		return kind + " " + rest
	}
	return kind
}
