import { useState } from 'preact/hooks';
import { client, data } from '../../api/client';
import type { Schemas } from '../../api/types';
import { ErrorNotice, Loaded, PageTitle } from '../../components/ui';
import { href, navigate } from '../../router';
import { useResource } from '../../use-resource';
import { when } from '../../words';

const EXAMPLE_METADATA = {
  client_name: 'Growth Chart',
  redirect_uris: ['https://growth.example.com/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'launch openid fhirUser patient/*.rs',
};

export function AppsPage() {
  const apps = useResource(() => data(client.GET('/v1/apps', { params: { query: { limit: 200 } } })), 'apps');
  return (
    <>
      <PageTitle>Apps</PageTitle>
      <Loaded resource={apps}>
        {(page) =>
          page.items.length === 0 ? (
            <p>No apps yet: create one below.</p>
          ) : (
            <table>
              <caption class="visually-hidden">Your apps</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Client name</th>
                  <th scope="col">Keys</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((app) => (
                  <tr key={app.id}>
                    <td>
                      <a href={href(`/apps/${app.id}`)}>{app.name}</a>
                    </td>
                    <td>{String(app.clientMetadata.client_name ?? '')}</td>
                    <td>{app.keyManagement}</td>
                    <td>{when(app.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      <NewApp />
    </>
  );
}

function NewApp() {
  const [name, setName] = useState('');
  const [metadata, setMetadata] = useState(JSON.stringify(EXAMPLE_METADATA, null, 2));
  const [error, setError] = useState<Error>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      // The API validates it (problem+json with each field's error, shown below the form).
      const clientMetadata = JSON.parse(metadata) as Schemas['AppInput']['clientMetadata'];
      const app = await data(client.POST('/v1/apps', { body: { name, clientMetadata, keyManagement: 'none' } }));
      navigate(`/apps/${app.id}`);
    } catch (failure) {
      setError(
        failure instanceof SyntaxError
          ? new Error(`The client metadata is not JSON: ${failure.message}`)
          : (failure as Error),
      );
    }
  };
  return (
    <section aria-labelledby="new-app">
      <h2 id="new-app">New app</h2>
      <form onSubmit={submit}>
        <label for="app-name">Name</label>
        <input id="app-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <label for="app-metadata">Client metadata (RFC 7591 JSON)</label>
        <textarea
          id="app-metadata"
          rows={8}
          required
          value={metadata}
          onInput={(e) => setMetadata((e.target as HTMLTextAreaElement).value)}
        />
        <button type="submit" class="primary">
          Create app
        </button>
        <ErrorNotice error={error} />
      </form>
    </section>
  );
}
