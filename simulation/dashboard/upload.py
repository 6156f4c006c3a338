"""A plain "choose a file" button that hands a small text file to the server.

Solara's drop zone needs a drag from the file manager, which not every instructor knows to do,
and its lazy reader cannot be driven by a test. This widget is a native ``<input type=file>``:
the browser reads the chosen file as text and sends it in one message, refusing files above
``max_bytes`` before sending (the server checks the size again: the browser is not trusted).
"""

from __future__ import annotations

import ipyvue
import traitlets

TEMPLATE = """
<template>
  <div>
    <label style="cursor:pointer">
      <span style="font-weight:500">{{ label }}</span>
      <input type="file" accept=".json,application/json" data-testid="file-upload" @change="pick"
             style="margin-left:0.5em"/>
    </label>
  </div>
</template>
<script>
module.exports = {
  methods: {
    pick(event) {
      const file = event.target.files[0];
      if (!file) { return; }
      if (file.size > this.max_bytes) {
        this.payload = {name: file.name, size: file.size, text: null, stamp: Date.now()};
        event.target.value = "";
        return;
      }
      const reader = new FileReader();
      reader.onload = () => {
        this.payload = {name: file.name, size: file.size, text: reader.result, stamp: Date.now()};
        event.target.value = "";
      };
      reader.readAsText(file);
    }
  }
}
</script>
"""


class TextFileInput(ipyvue.VueTemplate):
    """``payload`` becomes {name, size, text (None if too large), stamp} when a file is chosen."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    label = traitlets.Unicode("Choose a file").tag(sync=True)
    max_bytes = traitlets.Int(2_000_000).tag(sync=True)
    payload = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
