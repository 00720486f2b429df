from axis.cli import main

raise SystemExit(main())
