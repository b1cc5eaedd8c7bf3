package prompts

// ContextProblemData describes a tool call refused because of its call
// context: a value the tool's request needs that the platform calling
// toolgate did not send, or sent in a form the request cannot carry.
type ContextProblemData struct {
	// Tool is the name of the tool the model called.
	Tool string
	// Name is the context value as a template names it: "context.tenant".
	Name string
	// Problem says what is wrong with it: "missing value; ...".
	Problem string
}

// ContextProblem returns what to tell about a call refused because of its
// context. Context comes from the platform that calls toolgate, not from
// the model, so message names the value and the problem for the integrator
// who reads the API response or the run, and hint tells the model that
// neither it nor the caller can fix this: do not retry, do not ask the
// caller, say it cannot be done right now.
func ContextProblem(d ContextProblemData) (message, hint string) {
	view := ContextProblemData{Tool: oneLine(d.Tool, 0), Name: oneLine(d.Name, 0), Problem: oneLine(d.Problem, 0)}
	return render("context_problem_message.tmpl", view), render("context_problem_hint.tmpl", view)
}
