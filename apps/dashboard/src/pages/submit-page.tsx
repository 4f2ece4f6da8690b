import { useState } from 'preact/hooks';
import type { JobRecord } from '../../../../libs/contracts/src/job-record.js';
import { ApiError, type Api, type FieldError } from '../api.js';
import { jobHref } from '../route.js';

interface FieldSpec {
  name: string;
  label: string;
  help: string;
  required?: boolean;
  type?: 'number';
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

/** A form for one work request; the api's per-field errors are shown beside their fields. */
export function SubmitPage({ api }: { api: Api }) {
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const request: Record<string, string | number> = {};
    for (const { name, type } of FIELDS) {
      const value = String(form.get(name) ?? '').trim();
      // Empty optional fields are left out so that the api's defaults apply; a number field sends what was typed.
      if (value !== '') request[name] = type === 'number' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    }
    setSending(true);
    setErrors([]);
    setMessage(null);
    try {
      const record = await api.json<JobRecord>('/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request) });
      location.hash = jobHref(record.id);
    } catch (failure) {
      const fieldErrors = failure instanceof ApiError ? failure.fieldErrors : [];
      setErrors(fieldErrors);
      // Faults of no field shown here (policy, rate, an outage) are said above the form.
      if (fieldErrors.length === 0 || fieldErrors.some((fault) => !FIELDS.some((field) => field.name === fault.field))) setMessage((failure as Error).message);
      const first = fieldErrors.find((fault) => FIELDS.some((field) => field.name === fault.field));
      if (first) document.getElementById(`field-${first.field}`)?.focus();
    } finally {
      setSending(false);
    }
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
        {FIELDS.map(({ name, label, help, required, type }) => {
          const faults = errors.filter((fault) => fault.field === name);
          return (
            <div class="field" key={name}>
              <label for={`field-${name}`}>
                {label}
                {required && <span aria-hidden="true"> *</span>}
              </label>
              <input
                id={`field-${name}`}
                name={name}
                inputMode={type === 'number' ? 'numeric' : undefined}
                required={required}
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
        })}
        <button type="submit" class="primary" disabled={sending}>
          {sending ? 'Submitting…' : 'Submit'}
        </button>
      </form>
    </section>
  );
}
