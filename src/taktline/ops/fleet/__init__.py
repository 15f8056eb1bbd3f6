"""VDA 5050 2.0 fleet control: messages, schemas, transports, the fleet manager."""
