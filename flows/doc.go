// Package flows runs conversation flows: scripted state machines for chat,
// USSD and WhatsApp bots where an LLM is not wanted. A flow turns a user's
// message into the next messages to show plus updated variables; the
// platform that owns the channel shows them.
//
// A [Definition] is decoded strictly ([Decode]), checked by [Validate]
// (errors block publishing, warnings do not) and, once published, compiled
// once per version into a [Program]: message templates parsed with the
// template language of package tools plus its {{variables.*}} root,
// conditions compiled as CEL over variables, message and context, input
// schemas compiled with package schema, and each API_CALL's request
// prepared as a tools.Prepared.
//
// A [Runner] starts sessions and applies messages, one turn at a time per
// session whichever replica receives them (sessions live in the store and
// advance under its lock). A turn enters states one after another — showing
// each state's message, running its actions, following the first
// transition that holds — until a state waits for input or the session
// ends; more than [MaxStatesPerTurn] states in one turn fail the session,
// naming the loop. API_CALL actions run through a [Caller], which the
// gateway implements on its invoke service so that every call is an
// ordinary recorded run.
package flows
