import GatehouseWire

/// Free-form JSON, as the wire module defines it.
public typealias GatehouseWireJSON = JSONValue
