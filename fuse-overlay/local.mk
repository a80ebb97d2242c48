# fuse-overlay: build rules for this component.
