# src/oci: build rules for this component.
