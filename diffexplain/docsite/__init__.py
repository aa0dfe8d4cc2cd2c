"""The MkDocs side: the ``diffexplain`` fence and the plugin that wires it."""
