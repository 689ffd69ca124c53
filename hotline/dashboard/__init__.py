"""The supervisors' dashboard (督办工作台): its page and files, the map (一图全览) and the disputes panel."""
