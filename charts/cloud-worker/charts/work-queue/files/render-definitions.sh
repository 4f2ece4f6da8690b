# Writes the definitions RabbitMQ loads at boot: the template from the ConfigMap, with the users' names and
# passwords filled in from their Secrets (this container's environment), so that no ConfigMap holds a password.
# They must be letters, digits and -._~ (as in an AMQP URL), which also keeps them literal in sed and JSON.
set -eu
umask 077
for variable in APPS_USERNAME APPS_PASSWORD CLIENT_USERNAME CLIENT_PASSWORD; do
  eval "value=\${$variable:-}"
  case "$value" in
    "" | *[!A-Za-z0-9._~-]*)
      echo "work-queue: $variable (from its Secret) must be letters, digits and -._~ only, and not empty" >&2
      exit 1
      ;;
  esac
done
if [ "$APPS_USERNAME" = "$CLIENT_USERNAME" ]; then
  echo "work-queue: the apps' user and the clients' user must differ (both are $APPS_USERNAME)" >&2
  exit 1
fi
sed -e "s/@APPS_USERNAME@/$APPS_USERNAME/g" -e "s/@APPS_PASSWORD@/$APPS_PASSWORD/g" \
  -e "s/@CLIENT_USERNAME@/$CLIENT_USERNAME/g" -e "s/@CLIENT_PASSWORD@/$CLIENT_PASSWORD/g" \
  "$DEFINITIONS_TEMPLATE" >"$DEFINITIONS_FILE"
echo "work-queue: definitions of the users $APPS_USERNAME (apps) and $CLIENT_USERNAME (clients) written to $DEFINITIONS_FILE"
