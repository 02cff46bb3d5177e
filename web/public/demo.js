// Adds the widget's one tag, with the channel from ?channel= (default: web-chat) and this server as API.
(() => {
  var params = new URLSearchParams(location.search);
  var s = document.createElement("script");
  s.src = "/widget.js";
  s.dataset.channel = params.get("channel") || "web-chat";
  s.dataset.api = location.origin;
  if (params.get("type")) s.dataset.channelType = params.get("type");
  if (params.get("email")) s.dataset.email = params.get("email");
  if (params.get("hash")) s.dataset.identityHash = params.get("hash");
  document.getElementById("snippet").textContent =
    `<script src="${location.origin}/widget.js" data-channel="${s.dataset.channel}" data-api="${location.origin}"></` +
    "script>";
  document.body.appendChild(s);
})();
