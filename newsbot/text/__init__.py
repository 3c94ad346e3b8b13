"""Text handling: HTML to clean text, bylines, and (later) the Korean analyzer."""
