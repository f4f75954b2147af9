// The r2end page: build a history (search items, or free text) or pick a user, see R2END's
// top-K with scores and explanations beside the most-popular baseline, and the model card.
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);

async function api(path, init) {
  const res = await fetch(
    path,
    init && { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(init) },
  );
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

function Search({ onPick }) {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState([]);
  const [error, setError] = useState('');
  const run = async (e) => {
    e.preventDefault();
    try {
      setHits((await api(`/v1/items?q=${encodeURIComponent(q)}&limit=20`)).items);
      setError('');
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<form onSubmit=${run}>
      <input
        type="search"
        data-testid="search"
        placeholder="search items by title"
        value=${q}
        onInput=${(e) => setQ(e.target.value)}
      />
      <button type="submit" data-testid="search-button">Search</button>
    </form>
    ${error && html`<div class="error">${error}</div>`}
    <ul data-testid="search-results">
      ${hits.map(
        (it) =>
          html`<li key=${it.item_id}>
            <button
              class="small"
              data-testid="add-item"
              data-item=${it.item_id}
              onClick=${() => onPick({ item_id: it.item_id, title: it.title })}
            >
              add
            </button>
            ${' '}${it.title}<span class="id">${it.item_id}</span
            >${it.added && html`<span class="added">added at run time</span>`}
          </li>`,
      )}
    </ul>`;
}

function History({ history, setHistory }) {
  const [text, setText] = useState('');
  const addText = (e) => {
    e.preventDefault();
    if (text.trim()) setHistory([...history, { text: text.trim(), title: text.trim() }]);
    setText('');
  };
  return html`<ol data-testid="history">
      ${history.map(
        (e, i) =>
          html`<li key=${i}>
            ${e.item_id ? html`${e.title}<span class="id">${e.item_id}</span>` : html`<i>${e.text}</i>`} ${' '}<button
              class="small"
              onClick=${() => setHistory(history.filter((_, j) => j !== i))}
            >
              remove
            </button>
          </li>`,
      )}
    </ol>
    <form onSubmit=${addText}>
      <input
        type="text"
        class="wide"
        placeholder="or describe a purchase in words"
        value=${text}
        onInput=${(e) => setText(e.target.value)}
      />
      <button type="submit">Add text</button>
    </form>`;
}

function Ranking({ title, items, testid }) {
  return html`<div>
    <h2>${title}</h2>
    <ol data-testid=${testid}>
      ${items.map(
        (it) =>
          html`<li key=${it.item_id} data-item=${it.item_id}>
            <span class="score">${Number.isInteger(it.score) ? it.score : it.score.toFixed(4)}</span>${it.title}<span
              class="id"
              >${it.item_id}</span
            >
            ${
              it.explanations?.length > 0 &&
              html`<details class="why">
                <summary>why</summary>
                ${it.explanations.map((x) => html`<p>${x.similarity.toFixed(3)} · reasoning about user ${x.user_id}: ${x.text.slice(0, 400)}</p>`)}
              </details>`
            }
          </li>`,
      )}
    </ol>
  </div>`;
}

function App() {
  const [model, setModel] = useState(null);
  const [history, setHistory] = useState([]);
  const [user, setUser] = useState('');
  const [k, setK] = useState(10);
  const [recs, setRecs] = useState([]);
  const [popular, setPopular] = useState([]);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  useEffect(() => {
    api('/v1/model').then(setModel, (e) => setError(e.message));
  }, []);
  useEffect(() => {
    api(`/v1/popular?k=${k}`).then(
      (r) => setPopular(r.items),
      (e) => setError(e.message),
    );
  }, [k]);

  const show = async (promise) => {
    setStatus('…');
    try {
      const r = await promise;
      setRecs(r.items);
      setError('');
      setStatus(`${(r.seconds * 1000).toFixed(1)} ms`);
    } catch (e) {
      setError(e.message);
      setStatus('');
    }
  };
  const recommendHistory = () => {
    const entries = history.map((e, i) => ({
      ...(e.item_id ? { item_id: e.item_id } : { text: e.text }),
      timestamp: Math.floor(Date.now() / 1000) - (history.length - i) * 86400,
    }));
    show(api('/v1/recommend', { history: entries, k, explain: true }));
  };
  const recommendUser = (e) => {
    e.preventDefault();
    show(api(`/v1/users/${encodeURIComponent(user)}/recommendations?k=${k}&explain=true`));
  };

  return html`<header>
      <h1>r2end</h1>
      <span class="about" data-testid="about"
        >${model ? `${model.about.model} · ${model.about.dataset} · ${model.about.items} items · teacher: ${model.about.teacher} · encoder: ${model.about.encoder}` : ''}</span
      >
    </header>
    <main>
      <div>
        <section>
          <h2>A user of the dataset</h2>
          <form onSubmit=${recommendUser}>
            <input
              type="text"
              data-testid="user"
              placeholder="user id"
              value=${user}
              onInput=${(e) => setUser(e.target.value)}
            />
            <button type="submit" data-testid="user-button">Recommend</button>
          </form>
        </section>
        <section>
          <h2>Or build a history</h2>
          <${Search} onPick=${(it) => setHistory([...history, it])} />
          <h2 style="margin-top:12px">History (oldest first)</h2>
          <${History} history=${history} setHistory=${setHistory} />
          <p>
            k
            <input
              type="number"
              min="1"
              max="100"
              value=${k}
              data-testid="k"
              onInput=${(e) => setK(Math.max(1, Math.min(100, Number(e.target.value) || 10)))}
            />
            ${' '}<button data-testid="recommend" disabled=${history.length === 0} onClick=${recommendHistory}>
              Recommend for this history
            </button>
          </p>
        </section>
      </div>
      <div>
        <section>
          ${error && html`<div class="error" data-testid="error">${error}</div>`}
          <div class="results">
            <${Ranking} title=${`R2END top ${k} ${status}`} items=${recs} testid="recommendations" />
            <${Ranking} title="Most popular (baseline)" items=${popular} testid="popular" />
          </div>
        </section>
        <section>
          <h2>Model card</h2>
          <p>
            <a href="/report" target="_blank">Evaluation report with plots</a> · <a href="/openapi.json">OpenAPI</a> ·
            <a href="/metrics">metrics</a>
          </p>
          <pre class="card" data-testid="card">${model?.card ?? ''}</pre>
        </section>
      </div>
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
