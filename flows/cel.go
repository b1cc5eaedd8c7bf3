package flows

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
)

// Names a condition can use.
const (
	celVariables = "variables"
	celMessage   = "message"
	celContext   = "context"
)

// Bounds of a condition: its source, and the work one evaluation may do
// (user messages and API responses are untrusted and may be large).
const (
	conditionMaxBytes = 4096
	conditionCostMax  = 100_000
)

var (
	celEnvOnce sync.Once
	celEnv     *cel.Env
	celEnvErr  error
)

// conditionEnv returns the CEL environment of conditions: variables and
// context are maps of JSON values, message is the user's last message.
func conditionEnv() (*cel.Env, error) {
	celEnvOnce.Do(func() {
		celEnv, celEnvErr = cel.NewEnv(
			cel.Variable(celVariables, cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable(celMessage, cel.StringType),
			cel.Variable(celContext, cel.MapType(cel.StringType, cel.DynType)),
			cel.CrossTypeNumericComparisons(true),
			cel.ParserExpressionSizeLimit(conditionMaxBytes),
		)
	})
	return celEnv, celEnvErr
}

// condition is a compiled transition condition, safe for concurrent use.
type condition struct {
	src string
	prg cel.Program
}

// compileCondition compiles a CEL expression that must be boolean. The
// error says what is wrong in words an admin can act on.
func compileCondition(src string) (*condition, error) {
	env, err := conditionEnv()
	if err != nil {
		return nil, fmt.Errorf("building the condition environment: %w", err)
	}
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("is empty; omit if for a fallback transition")
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("is not a valid CEL expression: %s", oneLine(iss.Err().Error()))
	}
	if t := ast.OutputType(); !t.IsExactType(types.BoolType) && !t.IsExactType(types.DynType) {
		return nil, fmt.Errorf("must be a boolean condition, not %s", t)
	}
	prg, err := env.Program(ast, cel.CostLimit(conditionCostMax), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("is not a valid CEL expression: %s", oneLine(err.Error()))
	}
	return &condition{src: src, prg: prg}, nil
}

// holds evaluates the condition. An evaluation error (a missing key, a
// type mismatch, the cost limit) or a non-boolean result is returned as an
// error; the caller treats the condition as not holding.
func (c *condition) holds(variables map[string]any, message string, context map[string]any) (bool, error) {
	if variables == nil {
		variables = map[string]any{}
	}
	if context == nil {
		context = map[string]any{}
	}
	out, _, err := c.prg.Eval(map[string]any{celVariables: variables, celMessage: message, celContext: context})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("evaluated to %v, not true or false", out.Value())
	}
	return b, nil
}

// oneLine folds a multi-line compiler message (with its caret diagram) into
// one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
