// The r2end page: build a history (search items, or free text) or pick a user, see the served
// model's top-K with scores and explanations, compared with each part of a hybrid and with the
// most-popular baseline, and the model card.
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

const score = (x) => (Number.isInteger(x) ? x : x.toFixed(4));
/** An item as people read it: its title, or its id when it has none. */
const named = (it) => it.title || `item ${it.item_id}`;

/** A hybrid's parts for one item: each part's standardised score, weight and contribution, as bars. */
function Contributions({ parts }) {
  const widest = Math.max(...parts.map((p) => Math.abs(p.contribution)), 1e-9);
  return html`<table class="parts" data-testid="contributions">
    <tr>
      <th>part</th>
      <th>weight</th>
      <th>z-score</th>
      <th colspan="2">contribution</th>
    </tr>
    ${parts.map(
      (p) =>
        html`<tr key=${p.part}>
          <td>${p.part}</td>
          <td>${p.weight}</td>
          <td>${p.score.toFixed(3)}</td>
          <td>${p.contribution.toFixed(3)}</td>
          <td class="bar">
            <span
              class=${p.contribution < 0 ? 'negative' : 'positive'}
              style=${`width:${(50 * Math.abs(p.contribution)) / widest}px`}
            ></span>
          </td>
        </tr>`,
    )}
  </table>`;
}

/** Why an item was recommended, in the terms of the model that scored it (any of them may be present). */
function Why({ it }) {
  return html`${it.contributions?.length > 0 && html`<${Contributions} parts=${it.contributions} />`}
  ${
    it.because?.length > 0 &&
    html`<div class="because" data-testid="because">
      because you had${' '}
      ${it.because.map((b, i) => html`${i > 0 && ', '}<b title=${`share ${score(b.score)}`}>${named(b)}</b>`)}
    </div>`
  }
  ${
    it.explanations?.length > 0 &&
    html`<details class="why">
      <summary>why: reasoning about similar users</summary>
      ${it.explanations.map((x) => html`<p>${x.similarity.toFixed(3)} · reasoning about user ${x.user_id}: ${x.text.slice(0, 400)}</p>`)}
    </details>`
  }`;
}

function Ranking({ title, items, testid }) {
  return html`<div>
    <h2>${title}</h2>
    <ol data-testid=${testid}>
      ${items.map(
        (it) =>
          html`<li key=${it.item_id} data-item=${it.item_id}>
            <span class="score">${score(it.score)}</span>${it.title}<span class="id">${it.item_id}</span>
            <${Why} it=${it} />
          </li>`,
      )}
    </ol>
  </div>`;
}

/** One short top-K list of the comparison; items also in the served model's list are marked. */
function Column({ title, items, served, testid }) {
  return html`<div class="column">
    <h3>${title}</h3>
    <ol data-testid=${testid}>
      ${items.map(
        (it) =>
          html`<li key=${it.item_id} data-item=${it.item_id} class=${served.has(it.item_id) ? 'shared' : ''}>
            ${named(it)}<span class="score">${score(it.score)}</span>
          </li>`,
      )}
    </ol>
  </div>`;
}

function App() {
  const [health, setHealth] = useState(null);
  const [model, setModel] = useState(null);
  const [history, setHistory] = useState([]);
  const [user, setUser] = useState('');
  const [k, setK] = useState(10);
  const [recs, setRecs] = useState([]);
  /** Each part of a served hybrid: its own top-K for the same request. */
  const [partRecs, setPartRecs] = useState({});
  const [popular, setPopular] = useState([]);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  useEffect(() => {
    api('/healthz').then(setHealth, (e) => setError(e.message));
    api('/v1/model').then(setModel, (e) => setError(e.message));
  }, []);
  useEffect(() => {
    api(`/v1/popular?k=${k}`).then(
      (r) => setPopular(r.items),
      (e) => setError(e.message),
    );
  }, [k]);

  const parts = model?.parts ?? [];
  // ask(part) requests the served model's answer (part undefined) or one part's, for the same input.
  const show = async (ask) => {
    setStatus('…');
    try {
      const [r, ...own] = await Promise.all([ask(undefined), ...parts.map((p) => ask(p.name))]);
      setRecs(r.items);
      setPartRecs(Object.fromEntries(parts.map((p, i) => [p.name, own[i].items])));
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
    show((part) => api('/v1/recommend', { history: entries, k, explain: part === undefined, part }));
  };
  const recommendUser = (e) => {
    e.preventDefault();
    const path = `/v1/users/${encodeURIComponent(user)}/recommendations?k=${k}`;
    show((part) => api(part === undefined ? `${path}&explain=true` : `${path}&part=${encodeURIComponent(part)}`));
  };
  const name = health?.model ?? 'model';
  const served = new Set(recs.map((it) => it.item_id));
  const about = model
    ? [
        model.about.model,
        model.about.dataset,
        `${model.about.items} items`,
        model.about.teacher && `teacher: ${model.about.teacher}`,
        model.about.encoder && `encoder: ${model.about.encoder}`,
      ]
        .filter(Boolean)
        .join(' · ')
    : '';

  return html`<header>
      <h1>r2end</h1>
      ${
        health &&
        html`<span class="served">
          serving <b data-testid="model-name">${health.model}</b> · version${' '}
          <span data-testid="model-version">${health.version}</span></span
        >`
      }
      <span class="about" data-testid="about">${about}</span>
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
          <${Ranking} title=${`${name} top ${k} ${status}`} items=${recs} testid="recommendations" />
        </section>
        <section>
          <h2>Compared${parts.length > 0 ? ' with its parts alone and' : ' with'} the most popular</h2>
          <p class="note">Highlighted: also in ${name}'s top ${k}.</p>
          <div class="compare" data-testid="compare">
            <${Column} title=${name} items=${recs} served=${served} testid="compare-served" />
            ${parts.map(
              (p) =>
                html`<${Column}
                  key=${p.name}
                  title=${`${p.name} alone (weight ${p.weight})`}
                  items=${partRecs[p.name] ?? []}
                  served=${served}
                  testid=${`part-${p.name}`}
                />`,
            )}
            <${Column} title="Most popular (baseline)" items=${popular} served=${served} testid="popular" />
          </div>
        </section>
        <section>
          <h2>Model card</h2>
          <p>
            <a href="/report" target="_blank">Evaluation report with plots</a>${' · '}<a href="/openapi.json">OpenAPI</a
            >${' · '}<a href="/metrics">metrics</a>
          </p>
          <div class="card" data-testid="card" dangerouslySetInnerHTML=${{ __html: model?.card_html ?? '' }}></div>
        </section>
      </div>
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
