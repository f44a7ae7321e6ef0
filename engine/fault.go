package engine

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// maxSafeOperands bounds the names and literals of a formula that cannot
// fail: each exact operand is a rational of at most about 1,100 bits (a
// float64 read as its shortest decimal), and + − × ÷ add the sizes of
// their operands, so 48 operands stay far below maxExactBits.
const maxSafeOperands = 48

// mayFail reports whether evaluating n can end in an error rather than a
// value: whole-number arithmetic (divide by zero, too large), powers,
// whole-number rounding, or a formula large enough to exceed the exact
// evaluator's size limit. The scores-only scorer skips warning and info
// checks that cannot fail, since they change neither a score nor whether
// the project is scored.
func mayFail(n ast.Node) bool {
	operands := 0
	var walk func(ast.Node) bool
	walk = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IdentifierNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.StringNode, *ast.ConstantNode:
			operands++
			return operands > maxSafeOperands
		case *ast.UnaryNode:
			return walk(n.Node)
		case *ast.ConditionalNode:
			return walk(n.Cond) || walk(n.Exp1) || walk(n.Exp2)
		case *ast.BinaryNode:
			switch n.Operator {
			case "%", "**", "^", "..":
				return true
			case "+", "-", "*":
				if isWhole(n) {
					return true
				}
			}
			return walk(n.Left) || walk(n.Right)
		case *ast.ArrayNode:
			for _, k := range n.Nodes {
				if walk(k) {
					return true
				}
			}
			return false
		case *ast.BuiltinNode:
			return !safeBuiltin(n.Name) || walkAll(walk, n.Arguments)
		case *ast.CallNode:
			id, ok := n.Callee.(*ast.IdentifierNode)
			return !ok || !safeBuiltin(id.Value) || walkAll(walk, n.Arguments)
		}
		return true
	}
	return walk(n)
}

func walkAll(walk func(ast.Node) bool, list []ast.Node) bool {
	for _, a := range list {
		if walk(a) {
			return true
		}
	}
	return false
}

// safeBuiltin: the builtins that give a value for every argument.
func safeBuiltin(name string) bool {
	switch name {
	case "abs", "min", "max", "float", "round2", "roundTo", "len", "trim", "upper", "lower", "hasPrefix", "hasSuffix":
		return true
	}
	return false
}

func isWhole(n ast.Node) bool {
	t := n.Type()
	return t != nil && t.Kind() == reflect.Int
}
