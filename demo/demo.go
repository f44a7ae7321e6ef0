// Package demo ships the sample data that "jixiao serve --demo" loads:
// the 26 projects of the Huaihua housing-provident-fund centre's 2024
// self-evaluation report, in the project input format.
package demo

import (
	_ "embed"

	"jixiao"
)

//go:embed huaihua-2024-projects.json
var huaihua []byte

// HuaihuaJSON returns the Huaihua 2024 projects as the input document.
func HuaihuaJSON() []byte { return huaihua }

// Huaihua returns the Huaihua 2024 projects, decoded.
func Huaihua() []jixiao.Project {
	in, err := jixiao.DecodeProjectsBytes(huaihua)
	if err != nil || len(in.Rejected) > 0 {
		panic("demo data does not decode") // caught by the package's test
	}
	return in.Projects
}
