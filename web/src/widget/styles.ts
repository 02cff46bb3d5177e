/**
 * The widget's only styles, scoped by its shadow root; `:host` resets whatever the page inherits.
 * A backslash at the end of a line continues the rule on the next line: the string gets no line break there.
 */
export const CSS = `
:host{all:initial;position:fixed;right:16px;bottom:16px;z-index:2147483000;\
font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433}
*{box-sizing:border-box;font:inherit}
button{cursor:pointer}
button:focus-visible,textarea:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.launcher{width:56px;height:56px;border-radius:50%;border:0;background:#2541b2;color:#fff;\
box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center;margin-left:auto}
.panel{position:absolute;right:0;bottom:68px;width:min(360px,calc(100vw - 32px));\
height:min(520px,calc(100vh - 100px));background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);\
display:flex;flex-direction:column;overflow:hidden}
.panel[hidden]{display:none}
header{display:flex;align-items:center;justify-content:space-between;background:#2541b2;color:#fff;padding:10px 14px}
h2{margin:0;font-size:16px;font-weight:600}
.close{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;padding:2px 8px}
.status{margin:0;padding:8px 14px;background:#eef2ff;color:#1e3a8a;font-size:13px}
.status.away{background:#fff7e6;color:#7a4b00}
.log{flex:1;overflow-y:auto;padding:12px}\
.messages{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:8px}
.msg{max-width:80%;padding:8px 10px;border-radius:10px;background:#f1f3f7;align-self:flex-start;\
white-space:pre-wrap;word-wrap:break-word}
.msg.me{align-self:flex-end;background:#2541b2;color:#fff}
.msg.system{align-self:center;background:transparent;color:#5b6475;font-style:italic;font-size:12px}
.who{display:block;font-size:11px;font-weight:600;color:#5b6475;margin-bottom:2px}
.handoff{margin:0 12px 8px;padding:8px;border:1px solid #2541b2;background:#fff;color:#2541b2;\
border-radius:8px;font-weight:600}
.handoff[hidden],.error[hidden],.live-note[hidden]{display:none}
.live-note{margin:0 12px 4px;color:#8a4b00;font-size:12px;font-weight:600}
.error{margin:0 12px 8px;color:#b42318;font-size:13px}
.compose{display:flex;gap:8px;padding:10px;border-top:1px solid #e3e6ec}
textarea{flex:1;resize:none;border:1px solid #c4c9d4;border-radius:8px;padding:8px}
.send{border:0;border-radius:8px;background:#2541b2;color:#fff;padding:0 14px;font-weight:600}
.send:disabled{opacity:.6}
`;
