"""Reference data shipped with the app: China's administrative divisions for addresses."""
