#!/usr/bin/env bash
# Runs Debian's RabbitMQ 3.10 on loopback, in the foreground (the AppHost or a test owns the process), with a
# node, an epmd and a data directory of its own, so several instances can run side by side and none touches
# the machine's default broker (port 5672, epmd 4369).
# usage: run-rabbitmq.sh AMQP_PORT EPMD_PORT DATA_DIR
#
# Credentials: RABBITMQ_USER / RABBITMQ_PASSWORD when set (the AppHost generates the password; they become the
# broker's default user on its first start with an empty DATA_DIR), else guest/guest, which RabbitMQ accepts
# from loopback only. RABBITMQ_DIST_PORT optionally names the Erlang distribution port (see below). The
# management plugin stays off. SIGTERM (or SIGINT) stops the broker cleanly, then epmd.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 AMQP_PORT EPMD_PORT DATA_DIR" >&2; exit 2; }
amqp_port=$1; epmd_port=$2; data=$3
server=/usr/lib/rabbitmq/bin/rabbitmq-server
[ -x "$server" ] || { echo "rabbitmq-server is not installed: run eng/install-prereqs.sh" >&2; exit 1; }
epmd_bin=$(ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -1)
[ -x "$epmd_bin" ] || { echo "epmd (erlang-base) not found" >&2; exit 1; }

mkdir -p "$data"
data=$(cd "$data" && pwd)
mkdir -p "$data/home" "$data/mnesia" "$data/log"

user=${RABBITMQ_USER:-guest}
pass=${RABBITMQ_PASSWORD:-guest}
{
  echo "listeners.tcp.1 = 127.0.0.1:$amqp_port"
  echo "default_user = $user"
  echo "default_pass = $pass"
  echo "loopback_users.guest = true"
  echo "log.console = true"
  echo "log.console.level = warning"
  echo "log.file = false"
} > "$data/rabbitmq.conf"
chmod 600 "$data/rabbitmq.conf"
echo "[]." > "$data/enabled_plugins"
: > "$data/rabbitmq-env.conf"

export HOME="$data/home"
export RABBITMQ_NODENAME="cs-$amqp_port@localhost"
export RABBITMQ_USE_LONGNAME=false
export RABBITMQ_CONF_ENV_FILE="$data/rabbitmq-env.conf"     # not the machine's /etc/rabbitmq one
export RABBITMQ_CONFIG_FILE="$data/rabbitmq.conf"
export RABBITMQ_ADVANCED_CONFIG_FILE="$data/advanced.config"
export RABBITMQ_ENABLED_PLUGINS_FILE="$data/enabled_plugins"
export RABBITMQ_MNESIA_BASE="$data/mnesia"
export RABBITMQ_LOG_BASE="$data/log"
export RABBITMQ_PID_FILE="$data/rabbitmq.pid"
export RABBITMQ_PLUGINS_EXPAND_DIR="$data/plugins-expand"
# The node's distribution port (rabbitmqctl talks to it), loopback only. RabbitMQ would take 5672+20000 for
# every instance; RABBITMQ_DIST_PORT chooses one, else AMQP_PORT+20000 (or -20000 when that is out of range).
if [ -z "${RABBITMQ_DIST_PORT:-}" ]; then
  RABBITMQ_DIST_PORT=$((amqp_port + 20000 <= 65535 ? amqp_port + 20000 : amqp_port - 20000))
fi
export RABBITMQ_DIST_PORT
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT=$epmd_port
# Our own epmd runs as our child (not as the daemon the VM would leave behind) and ends with this script.
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}"

"$epmd_bin" -port "$epmd_port" -address 127.0.0.1 &
epmd=$!
for _ in $(seq 1 50); do
  "$epmd_bin" -port "$epmd_port" -names >/dev/null 2>&1 && break
  kill -0 $epmd 2>/dev/null || { echo "epmd could not start on 127.0.0.1:$epmd_port" >&2; exit 1; }
  sleep 0.1
done

rabbit=
stop() {
  trap - TERM INT
  # rabbitmq-server turns SIGTERM into an orderly broker stop and waits for the VM.
  if [ -n "$rabbit" ]; then kill -TERM "$rabbit" 2>/dev/null || true; wait "$rabbit" 2>/dev/null || true; fi
  kill -TERM $epmd 2>/dev/null || true
  wait $epmd 2>/dev/null || true
  exit 0
}
trap stop TERM INT

"$server" &
rabbit=$!
echo "rabbitmq starting on 127.0.0.1:$amqp_port (node $RABBITMQ_NODENAME, epmd $epmd_port, data $data)"
status=0
wait $rabbit || status=$?
rabbit=
kill -TERM $epmd 2>/dev/null || true
wait $epmd 2>/dev/null || true
exit $status
