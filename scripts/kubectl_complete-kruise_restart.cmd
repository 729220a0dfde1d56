@echo off
rem kubectl (1.26 and later) runs this to complete `kubectl kruise-restart ...` on Windows: see README.
"%~dp0kubectl-kruise_restart.exe" __complete %*
