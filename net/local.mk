# net: build rules for this component.
