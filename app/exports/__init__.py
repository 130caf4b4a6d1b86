"""Background exports of lists to CSV and XLSX."""
