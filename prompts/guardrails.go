package prompts

import (
	"strconv"
	"strings"
	"time"
)

// MaxConfirmRunes bounds the confirm message a model is asked to read back.
const MaxConfirmRunes = 600

// ConfirmationData describes a call that waits for the caller's agreement.
type ConfirmationData struct {
	// Tool is the name of the tool the model called.
	Tool string
	// Message is the tool's confirm message rendered with the call's
	// arguments: what to read back to the caller.
	Message string
	// Token is the confirmation token to call again with.
	Token string
	// TTL is how long the caller has to agree.
	TTL time.Duration
}

// NeedsConfirmation returns what to tell the model when a call must be
// confirmed by the caller first: read the message back, and call again
// with the token only if the caller agrees.
func NeedsConfirmation(d ConfirmationData) string {
	return render("needs_confirmation.tmpl", struct {
		Tool, Message, Token, Within string
	}{
		Tool:    oneLine(d.Tool, 0),
		Message: quoteSafe(oneLine(d.Message, MaxConfirmRunes)),
		Token:   oneLine(d.Token, 0),
		Within:  duration(d.TTL),
	})
}

// AwaitingApproval returns what to tell the model when a call waits for a
// person's approval; message is the tool's own sentence for the caller,
// if it has one.
func AwaitingApproval(tool, message string) string {
	return render("awaiting_approval.tmpl", struct{ Tool, Message string }{
		Tool: oneLine(tool, 0), Message: quoteSafe(oneLine(message, MaxDetailRunes)),
	})
}

// RateLimited returns what to tell the model when a limit of the gateway
// refused a call: nothing was sent, and it may try again after wait.
func RateLimited(tool string, wait time.Duration) string {
	return render("rate_limited.tmpl", struct{ Tool, Wait string }{Tool: oneLine(tool, 0), Wait: duration(wait)})
}

// duration says a wait the way a person would: "a second", "12 seconds",
// "3 minutes".
func duration(d time.Duration) string {
	switch s := int((d + time.Second - 1) / time.Second); {
	case s <= 1:
		return "a second"
	case s < 90:
		return strconv.Itoa(s) + " seconds"
	case s < 90*60:
		return strconv.Itoa((s+30)/60) + " minutes"
	default:
		return strconv.Itoa((s+1800)/3600) + " hours"
	}
}

// quoteSafe keeps text that is placed between double quotes from closing
// them.
func quoteSafe(s string) string { return strings.ReplaceAll(s, `"`, `'`) }
