"""Sessions and their record: the sessions API, history, replay, exports."""
