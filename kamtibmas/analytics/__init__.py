"""Django side of the crime analysis: URL filters -> scoped incidents -> arrays in metres ->
``kamtibmas_analytics`` -> maps, dashboards, downloads and the monthly PDF report."""
