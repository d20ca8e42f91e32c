#!/usr/bin/env bash
# broker-users.sh gives RabbitMQ what the trust boundary needs (contract section 7):
#
#   - the virtual host of the internal messages between the suite's services
#     (paysuite.internal), on which business systems have no permissions at all;
#   - the user of business systems, which may publish requests and read returns,
#     nothing more: no declaring, no consuming requests, no publishing returns;
#   - one user per service, with what that service needs;
#   - in both virtual hosts, the policies that route what the broker itself
#     dead-letters to pay.dead.queue (see policies below).
#
# It runs rabbitmqctl on the RabbitMQ node (as root, or as the rabbitmq user) and is
# idempotent: it compares what the broker holds with what it should hold and changes
# only what differs, so a second run costs two rabbitmqctl calls.
#
# Usage:
#   scripts/broker-users.sh --dev          development: business/business and
#                                          <service>/<service>; guest also gets the
#                                          internal virtual host (tests and payctl)
#   scripts/broker-users.sh                production: every password from the
#                                          environment, BUSINESS_AMQP_PASSWORD and
#                                          <SERVICE>_AMQP_PASSWORD (TOPUP_, MATCHER_,
#                                          WITHDRAW_, PAY_, NOTIFIER_, LISTENER_)
#   scripts/broker-users.sh --print        print the permissions and policies it sets,
#                                          one per line
#
# The public names are the contract's defaults; a deployment that renames them
# adapts the patterns below.
set -euo pipefail

readonly PUBLIC_VHOST=${AMQP_VHOST:-/}
readonly INTERNAL_VHOST=${AMQP_INTERNAL_VHOST:-paysuite.internal}
readonly FLOWS='(topup|withdraw|pay|order)'

log() { printf 'broker-users: %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# permissions prints "<user> <vhost> <configure> <write> <read>" for every grant,
# and "topic <user> <vhost> <exchange> <write> <read>" for the routing-key limits.
permissions() {
	# Business systems publish requests to the exchange (only with request keys) or
	# straight to a request queue through the default exchange, and read returns.
	echo "business $PUBLIC_VHOST ^\$ ^(pay\\.exchange|amq\\.default)\$ ^pay\\.$FLOWS\\.return\\.queue\$"
	echo "topic business $PUBLIC_VHOST pay.exchange ^pay\\.$FLOWS\$ ^\$"
	# Every service declares the whole topology at start (configure, and write on
	# the queues it binds), publishes returns and dead letters, and reads the
	# queues it consumes. In the internal virtual host each reads only its own.
	local svc short queue
	for svc in topup:topup:topup matcher:matcher:order withdraw:withdraw:withdraw pay:pay:pay \
		notifier:notifier: chain-listener:listener:; do
		IFS=: read -r svc short queue <<<"$svc"
		local own='pay\..*' read='^(pay\.exchange'
		[[ -n $queue ]] && read+="|pay\\.$queue\\.queue"
		# The notifier watches the depth of the dead-letter queue, and reads its
		# copy of the order returns for the merchant notices.
		[[ $svc == notifier ]] && read+='|pay\.dead\.queue|pay\.notifier\.orders\.queue'
		read+=')$'
		echo "$svc $PUBLIC_VHOST ^($own)\$ ^($own|amq\\.default)\$ $read"
		local iread="^(pay\\.internal|internal\\.$short\\..*"
		[[ $svc == notifier ]] && iread+='|pay\.dead\.queue'
		iread+=')$'
		echo "$svc $INTERNAL_VHOST ^(pay\\..*|internal\\..*)\$ ^(pay\\..*|internal\\..*|amq\\.default)\$ $iread"
	done
}

# The dead-letter route and the quorum delivery limit that the suite declares as
# queue arguments (pkg/broker, queueArgs), as policies: every queue but the
# dead-letter queue sends what the broker dead-letters (a message a consumer
# rejects, or one over a quorum queue's delivery limit) to pay.dead.queue, so the
# broker never drops a message silently. A queue declared before these arguments
# existed cannot be given them without being deleted; the policy gives it the same
# effect. Arguments take precedence over a policy for the dead-letter route; for
# the delivery limit the lower of the two applies. Two policies because RabbitMQ
# 3.10 applies none with delivery-limit to a classic queue, and a queue follows
# only its highest-priority policy that applies to it: quorum queues the first,
# classic queues the second. DELIVERY_LIMIT is broker.QuorumDeliveryLimit. A
# deployment with policies of its own on these queues merges them into these.
readonly DEAD_QUEUE=pay.dead.queue DELIVERY_LIMIT=100
readonly POLICY_PATTERN='^(pay|internal)\.(?!dead\.queue$)'

# policies prints "policy <vhost> <name> <apply-to> <priority> <pattern> <definition>".
policies() {
	local vhost route="\"dead-letter-exchange\":\"\",\"dead-letter-routing-key\":\"$DEAD_QUEUE\""
	for vhost in "$PUBLIC_VHOST" "$INTERNAL_VHOST"; do
		echo "policy $vhost paysuite-dead-letter-quorum queues 1 $POLICY_PATTERN {$route,\"delivery-limit\":$DELIVERY_LIMIT}"
		echo "policy $vhost paysuite-dead-letter queues 0 $POLICY_PATTERN {$route}"
	done
}

users() { permissions | awk '$1 != "topic" {print $1}' | sort -u; }

password_of() {
	local user=$1 var
	if [[ $DEV == 1 ]]; then
		echo "$user"
		return 0
	fi
	var=$(tr 'a-z-' 'A-Z_' <<<"${user#chain-}")_AMQP_PASSWORD
	[[ -n "${!var:-}" ]] || die "$var is not set (the password of the RabbitMQ user $user)"
	echo "${!var}"
}

# rabbitmqctl reads its standard input, which the loops below feed.
ctl() { rabbitmqctl -q "$@" </dev/null; }

# current prints what the broker holds, in the form permissions prints it. A
# virtual host that does not exist yet (a new broker) holds nothing.
current() {
	local vhost
	for vhost in "$PUBLIC_VHOST" "$INTERNAL_VHOST"; do
		{ ctl list_permissions -p "$vhost" 2>/dev/null || true; } |
			awk -v v="$vhost" 'NR > 1 && $1 != "guest" {print $1, v, $2, $3, $4}'
	done
	{ ctl list_topic_permissions -p "$PUBLIC_VHOST" 2>/dev/null || true; } |
		awk -v v="$PUBLIC_VHOST" 'NR > 1 {print "topic", $1, v, $2, $3, $4}'
}

# current_policies prints the suite's policies the broker holds, as policies prints them.
current_policies() {
	local vhost
	for vhost in "$PUBLIC_VHOST" "$INTERNAL_VHOST"; do
		{ ctl list_policies -p "$vhost" 2>/dev/null || true; } |
			awk -F'\t' 'NR > 1 && $2 ~ /^paysuite-/ {print "policy", $1, $2, $4, $6, $3, $5}'
	done
}

apply() {
	local existing user kind u vhost a b c
	ctl list_vhosts | grep -qx "$INTERNAL_VHOST" || {
		log "adding virtual host $INTERNAL_VHOST"
		ctl add_vhost "$INTERNAL_VHOST"
	}
	existing=$(ctl list_users | awk 'NR > 1 {print $1}')
	for user in $(users); do
		if ! grep -qx "$user" <<<"$existing"; then
			log "adding user $user"
			ctl add_user "$user" "$(password_of "$user")" >/dev/null
		elif [[ $DEV == 0 ]]; then
			ctl change_password "$user" "$(password_of "$user")" >/dev/null
		fi
	done
	while read -r kind u vhost a b c _; do
		if [[ $kind == topic ]]; then
			ctl set_topic_permissions -p "$vhost" "$u" "$a" "$b" "$c"
		else
			# kind is the user; u the vhost; a b c configure write read.
			ctl set_permissions -p "$u" "$kind" "$vhost" "$a" "$b"
		fi
	done < <(permissions)
	if [[ $DEV == 1 ]] && grep -qx guest <<<"$existing"; then
		ctl set_permissions -p "$INTERNAL_VHOST" guest '.*' '.*' '.*'
	fi
	local name applyto priority pattern definition
	while read -r kind vhost name applyto priority pattern definition; do
		ctl set_policy -p "$vhost" --apply-to "$applyto" --priority "$priority" "$name" "$pattern" "$definition" >/dev/null
	done < <(policies)
}

DEV=0
case "${1:-}" in
--print)
	permissions
	policies
	exit 0
	;;
--dev) DEV=1 ;;
"") ;;
*) die "usage: $0 [--dev|--print]" ;;
esac
command -v rabbitmqctl >/dev/null 2>&1 || PATH="/usr/sbin:$PATH"
command -v rabbitmqctl >/dev/null 2>&1 || die "rabbitmqctl not found: run this on the RabbitMQ node"

want=$(permissions | sort)
have=$(current | sort)
guest_ok=1
if [[ $DEV == 1 ]]; then
	ctl list_user_permissions guest 2>/dev/null | grep -q "^${INTERNAL_VHOST}[[:space:]]" || guest_ok=0
fi
want_policies=$(policies | sort)
have_policies=$(current_policies | sort)
if [[ "$want" == "$have" && "$want_policies" == "$have_policies" && $guest_ok == 1 && $DEV == 1 ]]; then
	exit 0
fi
apply
log "virtual host $INTERNAL_VHOST, the business user, the service users and the dead-letter policies are in place"
