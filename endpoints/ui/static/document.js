(function () {
  var table = document.getElementById("recipients");
  var url = table.getAttribute("data-status-url");
  var last = "";
  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }
  function render(recipients) {
    var body = document.createElement("tbody");
    recipients.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-recipient", r.recipient_id);
      var who = text("td", r.recipient_name + " (" + r.recipient_id + ")");
      (r.acted ? r.acted.marks : []).forEach(function (mark) {
        who.appendChild(document.createTextNode(" "));
        who.appendChild(text("span", mark.name, "chip acted"));
      });
      tr.appendChild(who);
      var state = document.createElement("td");
      state.appendChild(text("span", r.transport_state_name, "chip state-" + r.transport_state));
      tr.appendChild(state);
      var cell = document.createElement("td");
      var ol = document.createElement("ol");
      ol.className = "timeline";
      if (!r.timeline.length) { ol.appendChild(text("li", "Chưa có phản hồi", "empty")); }
      r.timeline.forEach(function (s) {
        var li = document.createElement("li");
        li.appendChild(text("b", s.status_name));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(text("time", (s.received_at || "").slice(0, 16).replace("T", " ")));
        if (s.description) { li.appendChild(document.createTextNode(" — " + s.description)); }
        ol.appendChild(li);
      });
      cell.appendChild(ol);
      tr.appendChild(cell);
      body.appendChild(tr);
    });
    table.replaceChild(body, table.tBodies[0]);
  }
  function poll() {
    fetch(url, {credentials: "same-origin", cache: "no-store"})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var seen = JSON.stringify(data.recipients);
        if (seen !== last) { render(data.recipients); }
        last = seen;
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
