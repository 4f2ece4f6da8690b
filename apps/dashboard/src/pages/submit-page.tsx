import { useState } from 'preact/hooks';
import type { JobRecord } from '../../../../libs/contracts/src/job-record.js';
import { ApiError, type Api, type FieldError } from '../api.js';
import { jobHref } from '../route.js';

interface FieldSpec {
  /** The request field it sets, as the api names it in its errors (a dotted path for resources). */
  name: string;
  label: string;
  help: string;
  required?: boolean;
  /** How the text becomes the field's value: as typed (the default), a number, or one list item per line. */
  type?: 'number' | 'env' | 'lines';
}

/** The work request's fields (libs/contracts/src/work-request.dto.ts); the api checks them and names each fault. */
const FIELDS: FieldSpec[] = [
  { name: 'image', label: 'Image', help: 'The container image to run, e.g. mstc/python-test:1.0', required: true },
  { name: 'jobName', label: 'Job name', help: 'A lowercase RFC 1123 label: letters, digits and hyphens', required: true },
  { name: 'inputBucket', label: 'Input bucket', help: 'Where the Job reads its inputs', required: true },
  { name: 'outputBucket', label: 'Output bucket', help: 'Where the Job writes its outputs and log; the input bucket when empty' },
  { name: 'prefix', label: 'Prefix', help: 'Object names under this prefix are the inputs and outputs of this request' },
  { name: 'timeOut', label: 'Time-out (minutes)', help: 'The default applies when empty', type: 'number' },
];

/** Optional: what the Job needs and gets besides its image and buckets (issue 15), behind "More options". */
const MORE_FIELDS: FieldSpec[] = [
  { name: 'resources.requests.cpu', label: 'CPU request', help: 'A Kubernetes quantity, e.g. 500m or 2; the worker\'s default when empty' },
  { name: 'resources.requests.memory', label: 'Memory request', help: 'A Kubernetes quantity, e.g. 512Mi or 4Gi' },
  { name: 'resources.limits.cpu', label: 'CPU limit', help: 'The most CPU the Job may use' },
  { name: 'resources.limits.memory', label: 'Memory limit', help: 'The most memory the Job may use' },
  { name: 'env', label: 'Environment', help: 'One NAME=VALUE per line', type: 'env' },
  { name: 'args', label: 'Arguments', help: 'The container\'s arguments, one per line', type: 'lines' },
];

const ALL_FIELDS = [...FIELDS, ...MORE_FIELDS];

/** The api names a fault inside a field by a path below it: `env[0].name`, `resources.limits.cpu`. */
const isAbout = (fault: FieldError, name: string) => fault.field === name || fault.field.startsWith(`${name}.`) || fault.field.startsWith(`${name}[`);

/** Puts `value` at a dotted path of `request`, making the objects on the way. */
function setPath(request: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let target = request;
  for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
  target[keys.at(-1)!] = value;
}

/** The request the form says; a line of the environment that is not NAME=VALUE is a fault of the form's own. */
function requestOf(form: FormData): { request: Record<string, unknown>; faults: FieldError[] } {
  const request: Record<string, unknown> = {};
  const faults: FieldError[] = [];
  for (const { name, type } of ALL_FIELDS) {
    const value = String(form.get(name) ?? '').trim();
    // Empty optional fields are left out so that the api's defaults apply; a number field sends what was typed.
    if (value === '') continue;
    const lines = value.split('\n').map((line) => line.trim()).filter((line) => line !== '');
    if (type === 'env') {
      const bad = lines.find((line) => line.indexOf('=') <= 0);
      if (bad !== undefined) faults.push({ field: name, rule: 'form', message: `"${bad}" is not NAME=VALUE` });
      setPath(request, name, lines.map((line) => ({ name: line.slice(0, line.indexOf('=')), value: line.slice(line.indexOf('=') + 1) })));
    } else if (type === 'lines') setPath(request, name, lines);
    else setPath(request, name, type === 'number' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value);
  }
  return { request, faults };
}

/** A form for one work request; the api's per-field errors are shown beside their fields. */
export function SubmitPage({ api }: { api: Api }) {
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [moreOpen, setMoreOpen] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const { request, faults } = requestOf(new FormData(event.currentTarget as HTMLFormElement));
    setErrors([]);
    setMessage(null);
    if (faults.length > 0) return showFaults(faults);
    setSending(true);
    try {
      const record = await api.json<JobRecord>('/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request) });
      location.hash = jobHref(record.id);
    } catch (failure) {
      const fieldErrors = failure instanceof ApiError ? failure.fieldErrors : [];
      // Faults of no field shown here (policy, rate, an outage) are said above the form.
      if (fieldErrors.length === 0 || fieldErrors.some((fault) => !ALL_FIELDS.some((field) => isAbout(fault, field.name)))) setMessage((failure as Error).message);
      showFaults(fieldErrors);
    } finally {
      setSending(false);
    }
  };

  /** Shows each fault beside its field, opens "More options" when one is there, and focuses the first field at fault. */
  const showFaults = (faults: FieldError[]) => {
    setErrors(faults);
    if (faults.some((fault) => MORE_FIELDS.some((field) => isAbout(fault, field.name)))) setMoreOpen(true);
    const first = ALL_FIELDS.find((field) => faults.some((fault) => isAbout(fault, field.name)));
    // After the render that opens "More options": a field inside a closed <details> cannot take the focus.
    if (first) setTimeout(() => document.getElementById(`field-${first.name}`)?.focus());
  };

  const field = ({ name, label, help, required, type }: FieldSpec) => {
    const faults = errors.filter((fault) => isAbout(fault, name));
    const Input = type === 'env' || type === 'lines' ? 'textarea' : 'input';
    return (
      <div class="field" key={name}>
        <label for={`field-${name}`}>
          {label}
          {required && <span aria-hidden="true"> *</span>}
        </label>
        <Input
          id={`field-${name}`}
          name={name}
          inputMode={type === 'number' ? 'numeric' : undefined}
          required={required}
          rows={Input === 'textarea' ? 3 : undefined}
          aria-invalid={faults.length > 0 ? 'true' : undefined}
          aria-describedby={`help-${name}${faults.length > 0 ? ` error-${name}` : ''}`}
        />
        <p id={`help-${name}`} class="help">
          {help}
        </p>
        {faults.length > 0 && (
          <p id={`error-${name}`} class="field-error">
            {faults.map((fault) => fault.message).join('; ')}
          </p>
        )}
      </div>
    );
  };

  return (
    <section class="submit">
      <h1>Submit a job</h1>
      {message && (
        <p class="field-error" role="alert">
          {message}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        {FIELDS.map(field)}
        <details open={moreOpen} onToggle={(event) => setMoreOpen((event.currentTarget as HTMLDetailsElement).open)}>
          <summary>More options: resources, environment, arguments</summary>
          {MORE_FIELDS.map(field)}
        </details>
        <button type="submit" class="primary" disabled={sending}>
          {sending ? 'Submitting…' : 'Submit'}
        </button>
      </form>
    </section>
  );
}
