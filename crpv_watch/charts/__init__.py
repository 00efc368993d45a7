"""Server-rendered SVG pictures (a choropleth map of France, column charts), accessible and without script:
each picture has a title, a description and a data table beside it as its text alternative."""
