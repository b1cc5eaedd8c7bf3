package flows_test

// The seeds' examples, translated to toolgate's definition.

// ordersFlow is the example, whose fetch_order is seed 000's GET.
const ordersFlow = `{"start": "ask_order",
 "states": {
  "ask_order": {"message": "What is your order number?",
                "input": {"save_to": "order_id", "schema": {"type": "string", "pattern": "^[A-Z0-9]{4,12}$"},
                          "retry_message": "Order numbers look like AB1234. What is yours?"},
                "transitions": [{"to": "fetch_order"}]},
  "fetch_order": {"message": "Looking that up for you...",
                  "actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/orders/{{variables.order_id}}",
                               "method": "GET", "save_to": "order",
                               "success_transition": "show_status", "failure_transition": "order_error"}]},
  "show_status": {"message": "Your order is {{variables.order.status}}, arriving {{variables.order.eta}} to {{variables.order.address.city}} ({{variables.order.items[0].id}}).",
                  "transitions": [{"if": "variables.order.status == 'delayed'", "to": "offer_callback"}, {"to": "done"}]},
  "order_error": {"message": "I could not find that order ({{variables.api_status}}).", "transitions": [{"to": "ask_order"}]},
  "offer_callback": {"message": "Sorry for the delay. We will call you back.", "transitions": [{"to": "done"}]},
  "done": {"message": "Anything else?", "end": true}}}`

// supportFlow is seed 000's POST (a support ticket) and its fire-and-forget
// analytics event.
const supportFlow = `{"start": "ask_issue",
 "states": {
  "ask_issue": {"message": "Hi {{variables.contact_name}}! What kind of issue? (billing or delivery)",
                "input": {"save_to": "issue_type", "schema": {"enum": ["billing", "delivery"]}},
                "transitions": [{"to": "ask_description"}]},
  "ask_description": {"message": "Describe the problem in a few words.",
                      "input": {"save_to": "description", "schema": {"type": "string", "minLength": 3}},
                      "transitions": [{"to": "create_ticket"}]},
  "create_ticket": {"message": "Creating your ticket...",
                    "actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/tickets", "method": "POST",
                                 "body": {"issue_type": "{{variables.issue_type}}", "description": "{{variables.description}}",
                                          "priority": "normal"},
                                 "save_to": "ticket",
                                 "success_transition": "ticket_created", "failure_transition": "ticket_error"}]},
  "ticket_created": {"message": "Your reference number is {{variables.ticket.reference}}.",
                     "actions": [{"type": "API_CALL", "integration": "analytics", "path": "/events", "method": "POST",
                                  "body": {"event": "flow_completed", "flow": "onboarding"}, "fire_and_forget": true}],
                     "end": true},
  "ticket_error": {"message": "Sorry, the ticket could not be created.", "end": true}}}`

// accountFlow is seed 000's PATCH and DELETE.
const accountFlow = `{"start": "ask_notifications",
 "states": {
  "ask_notifications": {"message": "Notifications on or off?",
                        "input": {"save_to": "notification_choice", "schema": {"enum": ["on", "off"]},
                                  "retry_message": "Please answer on or off."},
                        "transitions": [{"to": "save_preferences"}]},
  "save_preferences": {"actions": [{"type": "API_CALL", "integration": "my_backend",
                                    "path": "/users/{{variables.user_id}}/preferences", "method": "PATCH",
                                    "headers": {"X-Tenant": "{{variables.tenant_id}}"},
                                    "body": {"notifications": "{{variables.notification_choice}}"},
                                    "success_transition": "preference_saved", "failure_transition": "preference_error"}]},
  "preference_saved": {"message": "Saved. Cancelling your subscription...", "transitions": [{"to": "cancel"}]},
  "preference_error": {"message": "Could not save that.", "end": true},
  "cancel": {"actions": [{"type": "API_CALL", "integration": "my_backend",
                          "path": "/subscriptions/{{variables.subscription_id}}", "method": "DELETE",
                          "success_transition": "cancellation_confirmed", "failure_transition": "cancellation_error"}]},
  "cancellation_confirmed": {"message": "Your subscription is cancelled ({{variables.api_status}}).", "end": true},
  "cancellation_error": {"message": "Could not cancel.", "end": true}}}`

// routingFlow routes an API_CALL's outcome by status and class, as the
// contact-centre seed routes on 2xx/4xx/5xx/timeout/network.
// Only the call to the hanging upstream has a short timeout, so that a
// loaded machine cannot time out the others.
const routingFlow = `{"start": "route",
 "states": {
  "route": {"transitions": [{"if": "variables.code == 'hang'", "to": "lookup_briefly"}, {"to": "lookup"}]},
  "lookup": {"actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/status/{{variables.code}}",
                          "save_to": "result",
                          "on": {"status:404": "not_found", "client_error": "client_problem", "timeout": "too_slow"},
                          "success_transition": "ok", "failure_transition": "failed"}]},
  "lookup_briefly": {"actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/status/{{variables.code}}",
                          "timeout_ms": 200, "save_to": "result",
                          "on": {"status:404": "not_found", "client_error": "client_problem", "timeout": "too_slow"},
                          "success_transition": "ok", "failure_transition": "failed"}]},
  "ok": {"message": "ok {{variables.result.code}}", "end": true},
  "not_found": {"message": "not found", "end": true},
  "client_problem": {"message": "client problem {{variables.api_status}}", "end": true},
  "too_slow": {"message": "too slow {{variables.api_status}}", "end": true},
  "failed": {"message": "failed {{variables.api_status}}", "end": true}}}`

// loopFlow never waits: its states lead to each other for ever.
const loopFlow = `{"start": "intro",
 "states": {
  "intro": {"message": "Hello", "transitions": [{"to": "ping"}]},
  "ping": {"transitions": [{"to": "pong"}]},
  "pong": {"transitions": [{"if": "variables.stop == true", "to": "done"}, {"to": "ping"}]},
  "done": {"end": true}}}`

// menuFlow waits for a choice and routes on it with CEL over message,
// variables and context.
const menuFlow = `{"start": "menu",
 "states": {
  "menu": {"message": "1 for orders, 2 for support", "input": {},
           "transitions": [{"if": "message == '1' && context.channel == 'whatsapp'", "to": "orders"},
                           {"if": "message == '2' && variables.vip == true", "to": "vip_support"},
                           {"if": "message == '2'", "to": "support"}]},
  "orders": {"message": "Orders it is.", "end": true},
  "vip_support": {"message": "Right away, {{variables.contact_name}}.", "end": true},
  "support": {"message": "Support it is.", "end": true}}}`

// counterFlow asks the upstream to count each message it gets.
const counterFlow = `{"start": "wait",
 "states": {
  "wait": {"input": {"save_to": "last"}, "transitions": [{"to": "count"}]},
  "count": {"actions": [{"type": "API_CALL", "integration": "my_backend", "path": "/counter", "method": "POST",
                         "save_to": "counter"}],
            "transitions": [{"to": "wait"}]}}}`

// toolFlow calls a published tool instead of integration + path.
const toolFlow = `{"start": "ask",
 "states": {
  "ask": {"message": "Order number?", "input": {"save_to": "order_id"}, "transitions": [{"to": "fetch"}]},
  "fetch": {"actions": [{"type": "API_CALL", "tool": "get_order", "args": {"order_id": "{{variables.order_id}}"},
                         "save_to": "order", "success_transition": "show", "failure_transition": "missing"}]},
  "show": {"message": "It is {{variables.order.status}}.", "end": true},
  "missing": {"message": "No such order.", "end": true}}}`
