"""The plant RUNNING: the MES service, its store, API, OPC UA server and fleet control."""
