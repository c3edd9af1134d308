import './landing.css';

// The snippet on the landing page names this server, so it can be copied as it is onto another site.
const snippet = document.getElementById('snippet');
if (snippet) snippet.textContent = `<script src="${location.origin}/widget.js" data-site-key="demo-site-key" async></script>`;
