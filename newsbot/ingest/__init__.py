"""Getting articles into the store: feeds, CMS exports and view counts."""
