import '@mantine/core/styles.css';
import { MantineProvider, createTheme } from '@mantine/core';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';

const theme = createTheme({ primaryColor: 'indigo', defaultRadius: 'md', respectReducedMotion: true });

createRoot(document.getElementById('root')!).render(createElement(MantineProvider, { theme, defaultColorScheme: 'light' }, createElement(App)));
