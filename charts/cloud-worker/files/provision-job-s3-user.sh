# Creates or updates the Jobs' MinIO user and attaches the policy that keeps it out of the records bucket. A Helm
# hook after every install and upgrade runs it; each step may run again (a new secret key replaces the old one).
set -eu
attempts=0
until mc alias set store "$S3_ENDPOINT" "$ROOT_ACCESS_KEY" "$ROOT_SECRET_KEY" >/dev/null 2>&1; do
  attempts=$((attempts + 1))
  if [ "$attempts" -ge 40 ]; then
    echo "MinIO at $S3_ENDPOINT did not accept its root credentials within two minutes" >&2
    exit 1
  fi
  sleep 3
done
mc admin policy create store "$POLICY_NAME" "$POLICY_FILE"
mc admin user add store "$JOBS_ACCESS_KEY" "$JOBS_SECRET_KEY"
# attach refuses a policy the user already has.
if ! attached=$(mc admin policy attach store "$POLICY_NAME" --user "$JOBS_ACCESS_KEY" 2>&1); then
  case "$attached" in
    *already*) ;;
    *)
      echo "$attached" >&2
      exit 1
      ;;
  esac
fi
echo "the Jobs' S3 user $JOBS_ACCESS_KEY has the policy $POLICY_NAME"
